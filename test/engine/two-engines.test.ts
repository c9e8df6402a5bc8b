// Two engines on one database (as two daemons share it): each with its own connection and
// command lifecycle, sweeping at once over the same accounts in arrears, create one command per
// meter between them, never two; a second command in flight for a meter is refused by the
// database's unique index, and a request that meets the other's command reads as "in flight".
// Neither daemon holds the bus here, so the commands stay queued for its owner.
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { openTestDb, type TestDb } from '../helpers/db.js';
import type { Database } from '../../src/db/database.js';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { testDatabaseConfig } from '../helpers/database.js';
import { createRepositories, type Repositories } from '../../src/db/repo/index.js';
import { isActiveCommandConflict } from '../../src/db/repo/commands.js';
import { EventBus } from '../../src/events.js';
import { createMetrics } from '../../src/metrics.js';
import { CommandService, isInFlightRefusal } from '../../src/commands/service.js';
import { Engine } from '../../src/engine/reconciler.js';

const HOUR = 3_600_000;
const ACCOUNTS = 40;

interface Node {
  repos: Repositories;
  commands: CommandService;
  engine: Engine;
  logs: Array<{ level: number; msg: string }>;
}

describe('two engines on one database', () => {
  let t: TestDb;
  let second: Database;
  let clock: number;
  const nodes: Node[] = [];

  const build = (repos: Repositories): Node => {
    const logs: Node['logs'] = [];
    const sink = new Writable({ write(chunk, _enc, done) { logs.push(JSON.parse(String(chunk)) as { level: number; msg: string }); done(); } });
    const logger = pino({ level: 'debug' }, sink);
    const events = new EventBus(logger);
    // The bus is another daemon's: commands are created here and left for its owner.
    const commands = new CommandService(repos, {}, events, createMetrics(), logger, t.config.engine, () => clock, () => false);
    const engine = new Engine(repos, commands, events, createMetrics(), logger, t.config, () => clock);
    const node = { repos, commands, engine, logs };
    nodes.push(node);
    return node;
  };

  beforeEach(() => {
    t = openTestDb();
    t.config.engine.graceMs = 0;
    t.config.engine.noCut = { nights: false, nightStart: '18:00', nightEnd: '08:00', weekends: false, holidays: false };
    t.config.engine.safety.minIntervalMs = 0;
    clock = Date.parse('2026-11-25T10:00:00+08:00');
    for (let i = 0; i < ACCOUNTS; i++) {
      const id = `acc-${i}`;
      t.account({ id, cutoffLevelFen: 0, restoreLevelFen: 0, alarmLevel2Fen: 500, alarmLevel1Fen: 1000 });
      const meter = t.meter(`m-${i}`, id);
      t.repos.meters.setRelayState(meter.id, 'closed', clock - HOUR);
    }
    t.db.prepare(`UPDATE accounts SET balance_fen = -50, alarm_state = 2, alarm2_at = ?`).run(clock - HOUR);
    second = openConfiguredDatabase({ dataDir: t.dir, database: testDatabaseConfig(t.dir) });
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      n.engine.stop();
      await n.commands.stop();
    }
    second.close();
    t.cleanup();
  });

  const commandsPerMeter = () => t.db.prepare(`SELECT meter_id AS "meterId", COUNT(*) AS n,
    SUM(CASE WHEN state IN ('queued', 'sent') THEN 1 ELSE 0 END) AS active
    FROM commands GROUP BY meter_id ORDER BY meter_id`).all() as Array<{ meterId: string; n: number; active: number }>;

  it('create one command per meter between them when both sweep at once', async () => {
    const a = build(t.repos);
    const b = build(createRepositories(second));
    const [sa, sb] = await Promise.all([a.engine.sweep(), b.engine.sweep()]);
    expect(sa.evaluated).toBe(ACCOUNTS);
    expect(sb.evaluated).toBe(ACCOUNTS);

    // Again, and one account at a time from both sides: nothing new.
    await Promise.all([a.engine.sweep(), b.engine.sweep()]);
    for (let i = 0; i < ACCOUNTS; i++) {
      b.engine.evaluate(`acc-${i}`);
      a.engine.evaluate(`acc-${i}`);
    }

    const rows = commandsPerMeter();
    expect(rows).toHaveLength(ACCOUNTS);
    for (const r of rows) expect(r, r.meterId).toMatchObject({ n: 1, active: 1 });
    const states = t.db.prepare(`SELECT DISTINCT action || ':' || state FROM commands`).pluck().all();
    expect(states).toEqual(['disconnect:queued']);
    // Neither engine took the other's command for a fault.
    for (const n of nodes) expect(n.logs.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
  });

  it('refuses a second command in flight for a meter in the database, and reports the meeting as in flight', () => {
    const a = build(t.repos);
    const b = build(createRepositories(second));
    const created = a.commands.request({ meterId: 'm-0', action: 'disconnect', origin: 'engine', actor: 'engine', reason: 'arrears' });
    expect(created.state).toBe('queued');

    // Straight into the table from the other connection: the partial unique index says no.
    let refusal: unknown;
    try {
      b.repos.commands.insert({ id: 'dup', meterId: 'm-0', action: 'disconnect', origin: 'engine', actor: 'engine', reason: 'again', createdAt: clock, expiresAt: clock + HOUR });
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeDefined();
    expect(isActiveCommandConflict(refusal)).toBe(true);

    // Through the other daemon's lifecycle: the same action is the command already there.
    const same = b.commands.requestMany([{ meterId: 'm-0', action: 'disconnect', origin: 'engine', actor: 'engine', reason: 'arrears' }]);
    expect(same).toMatchObject([{ ok: true, command: { id: created.id } }]);
    // Once it is on its way, anything else meets it in flight.
    t.repos.commands.markSent(created.id, clock);
    const other = b.commands.requestMany([{ meterId: 'm-0', action: 'reconnect', origin: 'operator', actor: 'op', reason: 'paid at the counter' }]);
    expect(other).toHaveLength(1);
    expect(other[0]!.ok).toBe(false);
    if (!other[0]!.ok) expect(isInFlightRefusal(other[0]!.error)).toBe(true);
    expect(commandsPerMeter()).toEqual([{ meterId: 'm-0', n: 1, active: 1 }]);
  });
});
