// The set-based sweep looks only at the supply points its two filtered queries (and the holds and
// commands in flight) point at. Property, over random fleets in a real database: it finds exactly
// the cut-offs, restores and reviews that evaluating every account one by one finds — the filter
// never hides a supply point that needs something. The engine's pre-filter for bursts of balance
// changes (`needingAttention`) passes every account that needs something. Also: a dry run changes
// nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pino } from 'pino';
import { openTestDb, type TestDb } from '../helpers/db.js';
import type { Sqlite } from '../../src/db/connection.js';
import { EventBus } from '../../src/events.js';
import { createMetrics } from '../../src/metrics.js';
import { CommandService } from '../../src/commands/service.js';
import { Engine } from '../../src/engine/reconciler.js';

const HOUR = 3_600_000;
const AT = Date.parse('2026-11-25T10:00:00+08:00');

const supplyPoint = fc.record({
  // near the cut-off or restore level most of the time: the edges are where a filter goes wrong
  offset: fc.oneof(fc.integer({ min: -2, max: 2 }), fc.integer({ min: -3000, max: 3000 })),
  anchor: fc.constantFrom('cutoff', 'restore'),
  cutoffLevelFen: fc.constantFrom(-1000, 0, 20),
  restoreSpan: fc.constantFrom(0, 100, 2000),
  relay: fc.constantFrom('open', 'closed', 'unknown') as fc.Arbitrary<'open' | 'closed' | 'unknown'>,
  warnedHoursAgo: fc.option(fc.constantFrom(0, 23, 24, 48), { nil: null }),
  protected: fc.boolean(),
  // mostly nothing in the way, so that plenty of supply points are due something
  hold: fc.oneof({ arbitrary: fc.constant(null), weight: 4 },
    { arbitrary: fc.constantFrom('keep-power-meter', 'keep-power-account', 'manual-off-meter', 'manual-off-account', 'expired-keep-power'), weight: 1 }),
  pending: fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.constantFrom('disconnect', 'reconnect'), weight: 1 }),
  lastOperator: fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.constantFrom('disconnect', 'reconnect'), weight: 1 }),
});

type Point = typeof supplyPoint extends fc.Arbitrary<infer T> ? T : never;

describe('set-based sweep vs one-by-one evaluation', () => {
  let t: TestDb;
  let engine: Engine;
  let commands: CommandService;

  beforeAll(() => {
    t = openTestDb();
    if (t.db.dialect === 'sqlite') (t.db as Sqlite).pragma('synchronous = OFF'); // durability is not what this test is about; fsyncs would dominate it
    t.config.engine.graceMs = 24 * HOUR;
    t.config.engine.noCut = { nights: true, nightStart: '18:00', nightEnd: '08:00', weekends: true, holidays: true };
    const logger = pino({ level: 'silent' });
    commands = new CommandService(t.repos, {}, new EventBus(logger), createMetrics(), logger, t.config.engine, () => AT);
    engine = new Engine(t.repos, commands, new EventBus(logger), createMetrics(), logger, t.config, () => AT);
  });
  afterAll(async () => {
    await commands.stop();
    t.cleanup();
  });

  function seed(points: Point[]): void {
    const { db, repos } = t;
    db.exec(`DELETE FROM commands; DELETE FROM holds; DELETE FROM review_items; DELETE FROM meters; DELETE FROM ledger_entries; DELETE FROM accounts`);
    points.forEach((p, i) => {
      const id = `acc-${i}`;
      t.account({ id, protected: p.protected }, AT - 100 * HOUR);
      const meter = t.meter(`m-${i}`, id, AT - 100 * HOUR);
      const balanceFen = (p.anchor === 'cutoff' ? p.cutoffLevelFen : p.cutoffLevelFen + p.restoreSpan) + p.offset;
      db.prepare(`UPDATE accounts SET balance_fen = ?, cutoff_level_fen = ?, restore_level_fen = ?, alarm_level2_fen = ?, alarm_level1_fen = ?,
        alarm2_at = ? WHERE id = ?`).run(balanceFen, p.cutoffLevelFen, p.cutoffLevelFen + p.restoreSpan, p.cutoffLevelFen + 500, p.cutoffLevelFen + 1000,
        p.warnedHoursAgo === null ? null : AT - p.warnedHoursAgo * HOUR, id);
      if (p.relay !== 'unknown') repos.meters.setRelayState(meter.id, p.relay, AT - HOUR);
      if (p.lastOperator) {
        repos.commands.insert({ id: `op-${i}`, meterId: meter.id, action: p.lastOperator, origin: 'operator', actor: 'key:ops', reason: 'test', createdAt: AT - 2 * HOUR, expiresAt: AT });
        repos.commands.finish(`op-${i}`, 'confirmed', 'confirmed', AT - 2 * HOUR + 1000);
      }
      if (p.pending) {
        repos.commands.insert({ id: `c-${i}`, meterId: meter.id, action: p.pending, origin: 'engine', actor: 'engine', reason: 'test', createdAt: AT - HOUR, expiresAt: AT + HOUR });
      }
      if (p.hold) {
        const [kind, scope] = p.hold.startsWith('keep-power') || p.hold === 'expired-keep-power' ? ['keep-power', p.hold.endsWith('account') ? 'account' : 'meter'] : ['manual-off', p.hold.endsWith('account') ? 'account' : 'meter'];
        repos.holds.insert({
          id: `h-${i}`, kind: kind as 'keep-power', scope: scope as 'meter', targetId: scope === 'account' ? id : meter.id, actor: 'key:ops', reason: 'test',
          createdAt: AT - 3 * HOUR, expiresAt: p.hold === 'expired-keep-power' ? AT - HOUR : null,
        });
      }
    });
  }

  it('finds the same cut-offs, restores and reviews as evaluating every account', async () => {
    await fc.assert(fc.asyncProperty(fc.array(supplyPoint, { minLength: 1, maxLength: 25 }), async (points) => {
      seed(points);
      const commandsBefore = t.db.prepare(`SELECT COUNT(*) FROM commands`).pluck().get();
      const dry = await engine.dryRun(AT);
      const expected = { cut: [] as string[], restore: [] as string[], review: [] as string[] };
      const acting = new Set<string>();
      points.forEach((_p, i) => {
        for (const ev of engine.explain(`acc-${i}`, AT)) {
          if (ev.decision.action !== 'none') acting.add(ev.row.accountId);
          if (ev.decision.action === 'disconnect') expected.cut.push(ev.row.meterId);
          if (ev.decision.action === 'reconnect') expected.restore.push(ev.row.meterId);
          if (ev.decision.action === 'review') expected.review.push(ev.row.meterId);
        }
      });
      const ids = (list: Array<{ row: { meterId: string } }>) => list.map((e) => e.row.meterId).sort();
      expect(ids(dry.cut)).toEqual(expected.cut.sort());
      expect(ids(dry.restore)).toEqual(expected.restore.sort());
      expect(ids(dry.review)).toEqual(expected.review.sort());
      const passed = new Set(t.repos.sweep.needingAttention(points.map((_p, i) => `acc-${i}`), AT));
      for (const accountId of acting) expect(passed.has(accountId), `${accountId} needs an action but was filtered out`).toBe(true);
      expect(t.db.prepare(`SELECT COUNT(*) FROM commands`).pluck().get()).toBe(commandsBefore);
    }), { numRuns: 300 });
  });
});
