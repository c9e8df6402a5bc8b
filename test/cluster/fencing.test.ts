// The 'sent' mark of a bus command is fenced by the bus lease: two daemons on one database, each
// with its own connection, lease keeper and command lifecycle. The first takes the lease; it is
// then found taken by the second at the next epoch (as after the first stalled past its expiry)
// while the first's local deadline is still ahead. The first's mark is refused, nothing goes on
// its line and the command stays for the new owner, which marks it and sends it.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUS_ID, openTestDb, type TestDb } from '../helpers/db.js';
import type { Database } from '../../src/db/database.js';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { testDatabaseConfig } from '../helpers/database.js';
import { createRepositories, type Repositories } from '../../src/db/repo/index.js';
import { EventBus } from '../../src/events.js';
import { createMetrics } from '../../src/metrics.js';
import { CommandService } from '../../src/commands/service.js';
import type { RelayExecutor } from '../../src/commands/executor.js';
import { LeaseKeeper } from '../../src/cluster/leases.js';
import { eventually } from '../helpers/eventually.js';

const LEASE_MS = 60_000;

interface Node {
  repos: Repositories;
  keeper: LeaseKeeper;
  commands: CommandService;
  /** the relay frames this daemon put on its line */
  line: string[];
  logs: Array<{ level: number; msg: string; commandId?: string }>;
}

describe('fencing of the sent mark by the bus lease', () => {
  let t: TestDb;
  let second: Database;
  const nodes: Node[] = [];

  const node = (repos: Repositories, nodeId: string): Node => {
    const logs: Node['logs'] = [];
    const sink = new Writable({ write(chunk, _enc, done) { logs.push(JSON.parse(String(chunk)) as Node['logs'][number]); done(); } });
    const logger = pino({ level: 'debug' }, sink);
    const keeper = new LeaseKeeper(repos.leases, { nodeId, leaseMs: LEASE_MS, busIds: [BUS_ID] }, logger);
    const line: string[] = [];
    let relay: 'open' | 'closed' = 'closed';
    const executor: RelayExecutor = {
      send: async (_meter, action) => {
        line.push(action);
        relay = action === 'disconnect' ? 'open' : 'closed';
        return { accepted: true };
      },
      readBack: async () => ({ relay, tripPending: false, closePermitted: false }),
    };
    const config = { ...t.config.engine, confirmIntervalMs: 10 };
    const commands = new CommandService(repos, { dlt645: executor }, new EventBus(logger), createMetrics(), logger, config, Date.now,
      (meter) => !meter.busId || !keeper.covers(meter.busId) || keeper.holds(meter.busId),
      (meter) => (meter.busId ? keeper.fenceOf(meter.busId) : null));
    const n = { repos, keeper, commands, line, logs };
    nodes.push(n);
    return n;
  };

  /** The lease row names node-b at the next epoch, as when node-b took it after node-a stalled. */
  const takenOverByB = () => {
    t.db.prepare(`UPDATE bus_leases SET node_id = 'node-b', epoch = epoch + 1, acquired_at = ?, expires_at = ? WHERE bus_id = ?`)
      .run(Date.now(), Date.now() + LEASE_MS, BUS_ID);
  };

  beforeEach(() => {
    t = openTestDb();
    t.account({ id: 'acc-1' });
    t.meter('m-1', 'acc-1');
    t.repos.meters.setRelayState('m-1', 'closed', 0);
    second = openConfiguredDatabase({ dataDir: t.dir, database: testDatabaseConfig(t.dir) });
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      await n.commands.stop();
      n.keeper.stop();
    }
    second.close();
    t.cleanup();
  });

  const start = (n: Node) => n.keeper.start({ onAcquired: () => {}, onLost: () => {} });
  const request = (n: Node) => n.commands.request({ meterId: 'm-1', action: 'disconnect', origin: 'operator', actor: 'op', reason: 'test' });
  const refusals = (n: Node, commandId: string) =>
    n.logs.filter((l) => l.level === 40 && l.commandId === commandId && l.msg.includes('not sent'));

  it('refuses the stale owner a command it creates, and the new owner sends it', async () => {
    const a = node(t.repos, 'node-a');
    start(a);
    expect(t.repos.leases.get(BUS_ID)).toMatchObject({ nodeId: 'node-a', epoch: 1 });
    takenOverByB();
    const b = node(createRepositories(second), 'node-b');
    start(b);
    expect(b.keeper.holds(BUS_ID)).toBe(true);
    expect(b.keeper.epochOf(BUS_ID)).toBe(2);
    // node-a has not renewed since: by its own deadline it still holds the bus at epoch 1.
    expect(a.keeper.holds(BUS_ID)).toBe(true);
    expect(a.keeper.epochOf(BUS_ID)).toBe(1);

    const command = request(a);
    await eventually(() => expect(refusals(a, command.id)).toHaveLength(1));
    expect(a.line).toEqual([]);
    expect(t.repos.commands.get(command.id)).toMatchObject({ state: 'queued', attempts: 0, sentAt: null });
    expect(t.repos.commands.markSent(command.id, Date.now(), a.keeper.fenceOf(BUS_ID))).toBe(false);

    expect(b.commands.resumeBus(BUS_ID)).toBe(1);
    await eventually(() => expect(t.repos.commands.get(command.id)!.state).toBe('confirmed'));
    expect(b.line).toEqual(['disconnect']);
    expect(a.line).toEqual([]);
    expect(t.repos.commands.get(command.id)!.attempts).toBe(1);
  });

  it('refuses the stale owner the mark of a queued command it picks up', async () => {
    const a = node(t.repos, 'node-a');
    start(a);
    // Created by a daemon without the bus: queued for its owner.
    const reposB = createRepositories(second);
    const silent = pino({ level: 'silent' });
    const creator = new CommandService(reposB, {}, new EventBus(silent), createMetrics(), silent, t.config.engine, Date.now, () => false);
    const command = creator.request({ meterId: 'm-1', action: 'disconnect', origin: 'operator', actor: 'op', reason: 'test' });
    await creator.stop();
    expect(t.repos.commands.get(command.id)!.state).toBe('queued');

    takenOverByB();
    expect(a.keeper.holds(BUS_ID)).toBe(true);
    expect(a.commands.resumeBus(BUS_ID)).toBe(1);
    await eventually(() => expect(refusals(a, command.id)).toHaveLength(1));
    expect(a.line).toEqual([]);
    expect(t.repos.commands.get(command.id)).toMatchObject({ state: 'queued', attempts: 0 });

    const b = node(reposB, 'node-b');
    start(b);
    expect(b.commands.resumeBus(BUS_ID)).toBe(1);
    await eventually(() => expect(t.repos.commands.get(command.id)!.state).toBe('confirmed'));
    expect(b.line).toEqual(['disconnect']);
    expect(a.line).toEqual([]);
  });

  it('lets the holder of the lease mark and send as before', async () => {
    const a = node(t.repos, 'node-a');
    start(a);
    const command = request(a);
    await eventually(() => expect(t.repos.commands.get(command.id)!.state).toBe('confirmed'));
    expect(a.line).toEqual(['disconnect']);
    expect(refusals(a, command.id)).toEqual([]);
  });
});
