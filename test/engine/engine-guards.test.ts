// The engine against a real database (no bus): relay faults and the flapping guard raise review
// items once and hold cut-offs back; holds expire by themselves and are audited; the calendar
// warning at start-up when the holiday calendar has no data for the year.
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { EventBus } from '../../src/events.js';
import { createMetrics } from '../../src/metrics.js';
import { CommandService } from '../../src/commands/service.js';
import { Engine } from '../../src/engine/reconciler.js';
import { libraryCovers } from '../../src/domain/holiday-library.js';
import { AppError } from '../../src/errors.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('engine guards', () => {
  let t: TestDb;
  let clock: number;
  let commands: CommandService;
  let engine: Engine;
  let logs: string[];

  const build = () => {
    logs = [];
    const sink = new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } });
    const logger = pino({ level: 'warn' }, sink);
    const events = new EventBus(logger);
    commands = new CommandService(t.repos, {}, events, createMetrics(), logger, t.config.engine, () => clock);
    engine = new Engine(t.repos, commands, events, createMetrics(), logger, t.config, () => clock);
  };

  beforeEach(() => {
    t = openTestDb();
    t.config.engine.graceMs = 0;
    t.config.engine.noCut = { nights: false, nightStart: '18:00', nightEnd: '08:00', weekends: false, holidays: false };
    clock = Date.parse('2026-11-25T10:00:00+08:00');
    build();
  });
  afterEach(async () => {
    engine.stop();
    await commands.stop();
    t.cleanup();
  });

  /** An account in arrears, warned an hour ago, with one meter whose relay read closed. */
  const inArrears = (id: string) => {
    t.account({ id, cutoffLevelFen: 0, restoreLevelFen: 0, alarmLevel2Fen: 500, alarmLevel1Fen: 1000 });
    const meter = t.meter(`m-${id}`, id);
    t.db.prepare(`UPDATE accounts SET balance_fen = -50, alarm_state = 2, alarm2_at = ? WHERE id = ?`).run(clock - HOUR, id);
    return meter.id;
  };
  const confirmed = (meterId: string, action: 'disconnect' | 'reconnect', minutesAgo: number, n: number) => {
    t.repos.commands.insert({ id: `${meterId}-${n}`, meterId, action, origin: 'engine', actor: 'engine', reason: 'test', createdAt: clock - minutesAgo * MIN - 500, expiresAt: clock + HOUR });
    t.repos.commands.finish(`${meterId}-${n}`, 'confirmed', 'confirmed', clock - minutesAgo * MIN);
  };

  it('raises one relay-fault review when the relay reads closed after a confirmed trip, and pauses cut-offs', () => {
    const m = inArrears('acc-f');
    confirmed(m, 'disconnect', 30, 1);
    t.repos.meters.setRelayState(m, 'closed', clock - MIN);
    engine.evaluate('acc-f');
    engine.evaluate('acc-f');
    const items = t.repos.reviews.list({ kind: 'relay-fault', limit: 10 });
    expect(items).toHaveLength(1);
    expect(items[0]!.reason).toMatch(/reads closed .* after a confirmed disconnect/);
    expect(t.repos.journal.events(0, 'acc-f', 100).filter((e) => e.type === 'relay-fault')).toHaveLength(1);
    expect(t.repos.commands.activeFor(m)).toBeUndefined();
    expect(engine.explainMeter(m)!.decision).toMatchObject({ action: 'none', rule: 'relay-safety' });
  });

  it('holds a flapping relay on with an expiring keep-power hold and a review item', () => {
    const m = inArrears('acc-x');
    confirmed(m, 'disconnect', 50, 1);
    confirmed(m, 'reconnect', 40, 2);
    confirmed(m, 'disconnect', 30, 3);
    confirmed(m, 'reconnect', 20, 4);
    t.repos.meters.setRelayState(m, 'closed', clock - 20 * MIN);
    // Warned afresh when supply was last restored, as the confirmation of a reconnect does.
    t.db.prepare(`UPDATE accounts SET alarm2_at = ? WHERE id = ?`).run(clock - 20 * MIN, 'acc-x');
    engine.evaluate('acc-x');
    const holds = t.repos.holds.inForce(clock);
    expect(holds).toEqual([expect.objectContaining({ kind: 'keep-power', scope: 'meter', targetId: m, actor: 'relay-safety', expiresAt: clock + t.config.engine.safety.flapHoldMs })]);
    expect(t.repos.reviews.list({ kind: 'flapping', limit: 10 })).toHaveLength(1);
    expect(t.repos.commands.activeFor(m)).toBeUndefined();
    engine.evaluate('acc-x');
    expect(engine.explainMeter(m)!.decision.rule).toBe('keep-power-hold');
    expect(t.repos.reviews.list({ kind: 'flapping', limit: 10 })).toHaveLength(1);
  });

  it('releases a hold at its expiry, audited, and the engine then acts', async () => {
    const m = inArrears('acc-h');
    t.repos.meters.setRelayState(m, 'closed', clock - MIN);
    const [hold] = engine.holds.place({ kind: 'keep-power', scope: 'account', targetIds: ['acc-h'], actor: 'key:ops', reason: 'festival', expiresAt: clock + HOUR });
    expect(() => engine.holds.place({ kind: 'manual-off', scope: 'meter', targetIds: [m], actor: 'key:ops', reason: 'x', expiresAt: null }))
      .toThrow(expect.objectContaining({ code: 'CONFLICT' }) as AppError);
    expect(() => engine.holds.place({ kind: 'keep-power', scope: 'meter', targetIds: ['m-nope'], actor: 'key:ops', reason: 'x', expiresAt: null }))
      .toThrow(expect.objectContaining({ code: 'METER_NOT_FOUND' }) as AppError);
    await engine.sweep();
    expect(t.repos.commands.activeFor(m)).toBeUndefined();
    expect(engine.explainMeter(m)!.decision.rule).toBe('keep-power-hold');

    clock += HOUR + 1;
    await engine.sweep();
    expect(t.repos.holds.get(hold!.id)).toMatchObject({ releasedBy: 'expiry', releasedAt: clock });
    expect(t.repos.auditLog.page({ target: 'acc-h', limit: 10 }).map((e) => `${e.actor} ${e.action}`).slice(0, 2)).toEqual(['expiry hold-released', 'key:ops hold-placed']);
    // No relay executor in this test: the cut-off is asked for and fails as unsupported.
    const last = t.repos.commands.lastRelay(m)!;
    expect(last).toMatchObject({ action: 'disconnect', origin: 'engine' });
  });

  it('takes the grace period from the credit grade', () => {
    t.account({ id: 'acc-a', creditGrade: 'A' });
    t.meter('m-acc-a', 'acc-a');
    t.account({ id: 'acc-b', creditGrade: 'B' });
    t.meter('m-acc-b', 'acc-b');
    t.config.engine.graceMs = 2 * HOUR;
    t.config.defaults.creditGrades.A = { graceMs: 72 * HOUR };
    expect(engine.explainMeter('m-acc-a')!.input.graceMs).toBe(72 * HOUR);
    expect(engine.explainMeter('m-acc-b')!.input.graceMs).toBe(2 * HOUR);
  });

  it('knows which years the library covers and warns at start-up about a year without its official schedule', async () => {
    expect(libraryCovers(2026)).toBe(true);
    expect(libraryCovers(2099)).toBe(false);
    engine.start(); // public holidays are not no-cut days in this configuration: nothing to say
    expect(logs.join('')).not.toMatch(/holiday schedule/);
    engine.stop();
    clock = Date.parse('2099-03-02T10:00:00+08:00');
    build();
    t.config.engine.noCut.holidays = true;
    engine.start();
    expect(logs.join('')).toMatch(/no official holiday schedule for 2099: public holidays are derived from the calendar \(provisional\)/);
    // Once a year and source, not on every sweep.
    const before = logs.length;
    await engine.sweep();
    expect(logs.length).toBe(before);
  });

  it('warns from 1 November about the next year, not before', () => {
    t.config.engine.noCut.holidays = true;
    clock = Date.parse('2026-10-31T10:00:00+08:00');
    build();
    engine.start();
    expect(logs.join('')).not.toMatch(/holiday schedule/);
    engine.stop();
    clock = Date.parse('2026-11-01T10:00:00+08:00');
    build();
    engine.start();
    expect(logs.join('')).toMatch(/no official holiday schedule for 2027/);
    expect(logs.join('')).not.toMatch(/for 2026/);
  });
});
