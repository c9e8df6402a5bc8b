// The audit's account with levels in days of supply, on a controlled clock against a real database:
// paid 10,000 fen, 100 kWh used in its first minutes, then a month without readings. Its levels
// are never worked out from that first busy hour, fall back to the money defaults once the
// consumption has left the window, and the engine does not cut off a customer who still has money
// — not even from a row holding the stale levels the audit found, as it derives the levels again
// before any cut-off. When consumption comes back and the balance truly falls below the cut-off
// level, a normal cut-off follows: warned, a full grace, then disconnect.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { EventBus } from '../../src/events.js';
import { createMetrics } from '../../src/metrics.js';
import { CommandService } from '../../src/commands/service.js';
import { Engine } from '../../src/engine/reconciler.js';
import { recordReading } from '../../src/ledger/consumption.js';
import { postPayment } from '../../src/ledger/payments.js';
import { LevelsRefresher, thresholdsOf } from '../../src/ledger/levels.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-16T10:00:00+08:00');
const IN_DAYS = { alarmLevel1: { days: 5 }, alarmLevel2: { days: 2 }, cutoffLevel: { days: 0.5 }, restoreLevel: { days: 1 } };
const MONEY_DEFAULTS = { alarmLevel1Fen: 2000, alarmLevel2Fen: 1000, cutoffLevelFen: 0, restoreLevelFen: 0 };

describe('levels in days on a controlled clock', () => {
  let t: TestDb;
  let clock: number;
  let commands: CommandService;
  let engine: Engine;
  let refresher: LevelsRefresher;

  beforeEach(() => {
    t = openTestDb();
    t.config.engine.graceMs = HOUR;
    t.config.engine.noCut = { nights: false, nightStart: '18:00', nightEnd: '08:00', weekends: false, holidays: false };
    t.config.engine.safety.minIntervalMs = 0;
    clock = T0;
    const logger = pino({ level: 'silent' });
    const events = new EventBus(logger);
    // No relay executor here: a cut-off is asked for (the command is what is checked) and fails as unsupported.
    commands = new CommandService(t.repos, {}, events, createMetrics(), logger, t.config.engine, () => clock);
    engine = new Engine(t.repos, commands, events, createMetrics(), logger, t.config, () => clock);
    refresher = new LevelsRefresher(t.repos, t.config, logger, () => clock);
    t.account({ id: 'acc', levelOverrides: IN_DAYS }, T0);
    t.meter('m-1', 'acc', T0);
    t.repos.meters.setRelayState('m-1', 'closed', T0);
    postPayment(t.repos, { accountId: 'acc', channel: 'wechat', channelTxnId: 'wx-1', amountFen: 10_000, paidAt: T0, actor: 'billing' }, T0);
  });
  afterEach(async () => {
    engine.stop();
    refresher.stop();
    await commands.stop();
    t.cleanup();
  });

  const read = (at: number, energyWh: number) => t.repos.transaction(() => recordReading(t.repos, { meterId: 'm-1', ts: at, energyWh }, at, t.config.utcOffsetMinutes));
  const levelsOf = () => {
    const a = t.repos.accounts.get('acc')!;
    return { alarmLevel1Fen: a.alarmLevel1Fen, alarmLevel2Fen: a.alarmLevel2Fen, cutoffLevelFen: a.cutoffLevelFen, restoreLevelFen: a.restoreLevelFen };
  };
  const disconnects = () => t.repos.commands.list({ meterId: 'm-1' }, null, 100).filter((c) => c.action === 'disconnect');

  /** The audit's steps: 100 kWh in the first minutes, the refresher a day later, then 30 days of silence. */
  async function auditTimeline() {
    read(T0 + MIN, 0);
    read(T0 + 10 * MIN, 100_000); // 100 kWh at 0.5283 yuan/kWh
    expect(t.repos.accounts.get('acc')!.balanceFen).toBe(10_000 - 5283);
    clock = T0 + DAY + HOUR;
    await refresher.sweep();
    // A day's history is not a rate: 26,415 / 10,566 / 2,642 / 5,283 fen before; the money defaults now.
    expect(levelsOf()).toEqual(MONEY_DEFAULTS);
    read(T0 + DAY + 2 * HOUR, 156_790); // more use that day: 8,283 fen in all
    expect(t.repos.accounts.get('acc')!.balanceFen).toBe(1717);
    clock = T0 + 32 * DAY;
  }

  it('reproduces the audit: no levels from the first busy hour, no cut-off after a month without readings', async () => {
    await auditTimeline();
    await engine.sweep();
    engine.evaluate('acc');
    await refresher.sweep();
    expect(levelsOf()).toEqual(MONEY_DEFAULTS);
    expect(disconnects()).toEqual([]);
    const view = thresholdsOf(t.repos, t.repos.accounts.get('acc')!, t.config, clock);
    expect(view.levelsAverageDailyChargeFen).toBeNull();
    // Where each level truly comes from: the defaults, standing in for the account's own days.
    expect(view.levels.cutoffLevel).toEqual({ fen: 0, spec: { fen: 0 }, source: 'default', setBy: 'default', skipped: [{ days: 0.5, setBy: 'override' }] });
    expect(engine.explainMeter('m-1')!.decision.rule).toBe('supply-on');

    // Consumption comes back: 40 kWh in a day takes the balance below zero. The levels follow the
    // new consumption, alarm level 2 is raised then, and the cut-off waits a full grace period.
    read(clock, 156_790);
    clock += DAY;
    read(clock, 196_790);
    const account = t.repos.accounts.get('acc')!;
    expect(account.balanceFen).toBe(1717 - 2113);
    expect(account.alarm2At).toBe(clock);
    await refresher.sweep();
    const levels = levelsOf();
    expect(levels.cutoffLevelFen).toBe(Math.floor(0.5 * (2113 / 30)));
    engine.evaluate('acc');
    expect(disconnects()).toEqual([]);
    expect(engine.explainMeter('m-1')!.decision.rule).toBe('in-grace');
    const warnedAt = clock;
    clock += HOUR;
    engine.evaluate('acc');
    const cut = disconnects();
    expect(cut).toHaveLength(1);
    expect(cut[0]).toMatchObject({ origin: 'engine' });
    expect(cut[0]!.reason).toBe(`balance -396 fen at or below cut-off level ${levels.cutoffLevelFen} fen, warned at ${new Date(warnedAt + 8 * HOUR).toISOString().slice(0, -1)}+08:00`);
  });

  it('derives the levels again before a cut-off: a row holding the stale levels the audit found cuts no one', async () => {
    await auditTimeline();
    // The row as the audit found it: levels from the first day, warned at the start, no readings since.
    t.db.prepare(`UPDATE accounts SET alarm_level1_fen = 25361, alarm_level2_fen = 10145, cutoff_level_fen = 2536, restore_level_fen = 5072,
      alarm_state = 2, alarm2_at = ? WHERE id = 'acc'`).run(T0 + 10 * MIN);
    expect(engine.explainMeter('m-1')!.decision.action).toBe('disconnect'); // what the stored levels alone would do
    await engine.sweep();
    expect(disconnects()).toEqual([]);
    expect(levelsOf()).toEqual(MONEY_DEFAULTS);
    // The old warning went with the levels that raised it: the balance is above alarm level 2 now.
    expect(t.repos.accounts.get('acc')).toMatchObject({ alarmState: 1, alarm2At: null });
    const moved = t.repos.journal.events(0, 'acc', 100).filter((e) => e.type === 'levels-changed').map((e) => JSON.parse(e.data));
    expect(moved.at(-1)).toEqual({ ...MONEY_DEFAULTS, averageDailyChargeFen: null });
  });
});
