// Levels in days of supply follow the consumption and nothing else (docs/design.md "Thresholds and
// alarms"): for any consumption history — including none, and a busy first hour — and any balance
// above zero, a level derived from days never exceeds what the days of supply at the recent average
// imply; with no usable average the money settings apply; the engine never cuts off a balance
// that still holds more days of supply than the cut-off level is set at.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LEVEL_NAMES, resolveLevels, type LevelPolicy, type LevelSpec } from '../../src/domain/thresholds.js';
import { DAY_MS, levelsAverageDailyChargeFen } from '../../src/domain/forecast.js';
import { CREDIT_GRADE_DEFAULTS } from '../../src/domain/credit-grades.js';
import { decide } from '../../src/domain/policy.js';

const NOW = Date.parse('2026-11-25T10:00:00+08:00');

const policy = (categoryLevels: Record<string, LevelSpec>): LevelPolicy => ({
  defaults: {
    alarmLevel1Fen: 2000, alarmLevel2Fen: 1000, cutoffLevelFen: 0, restoreLevelFen: 0,
    categories: { business: categoryLevels }, creditGrades: CREDIT_GRADE_DEFAULTS,
  },
  engine: { graceMs: DAY_MS },
});

const days = fc.double({ min: -5, max: 30, noNaN: true }).map((d) => ({ days: d }));
const money = fc.integer({ min: -10_000, max: 50_000 }).map((fen) => ({ fen }));
const spec: fc.Arbitrary<LevelSpec> = fc.oneof(days, days, money);
const settings = fc.record({ alarmLevel1: spec, alarmLevel2: spec, cutoffLevel: spec, restoreLevel: spec }, { requiredKeys: [] });

/** A history: the account's age and its consumption charges, each some time ago (within the account's life). */
const history = fc.record({
  ageMs: fc.oneof(fc.integer({ min: 0, max: 2 * DAY_MS }), fc.integer({ min: 0, max: 400 * DAY_MS })),
  charges: fc.array(fc.record({ agoMs: fc.integer({ min: 0, max: 90 * DAY_MS }), fen: fc.integer({ min: 0, max: 30_000 }) }), { maxLength: 12 }),
  windowDays: fc.integer({ min: 1, max: 60 }),
  minHistoryDays: fc.integer({ min: 1, max: 14 }),
});

describe('levels in days of supply (property)', () => {
  it('never exceed the days of supply at the recent average; without one the money settings apply; no cut-off with more supply left', () => {
    fc.assert(fc.property(history, settings, settings, fc.constantFrom('A', 'B', 'C', 'D'), fc.integer({ min: 1, max: 200_000 }),
      (h, own, category, grade, balanceFen) => {
        // The recent average as a person would work it out: what was charged in the window, over
        // the window (or the account's life when shorter); none without charges or a week's history.
        const charges = h.charges.filter((c) => c.agoMs <= h.ageMs);
        const windowMs = h.windowDays * DAY_MS;
        const charged = charges.filter((c) => c.agoMs <= windowMs).reduce((sum, c) => sum + c.fen, 0);
        const spanDays = Math.min(windowMs, h.ageMs) / DAY_MS;
        const expected = charged > 0 && h.ageMs >= h.minHistoryDays * DAY_MS ? charged / spanDays : null;

        const average = levelsAverageDailyChargeFen(charged, h.windowDays, h.minHistoryDays, NOW - h.ageMs, NOW);
        if (expected === null) expect(average).toBeNull();
        else expect(average).toBeCloseTo(expected, 9);

        const p = policy(category);
        const input = { category: 'business', creditGrade: grade, overrides: own };
        const { levels, detail } = resolveLevels({ ...input, averageDailyChargeFen: average }, p);
        const moneyOnly = resolveLevels({ ...input, averageDailyChargeFen: null }, p);
        if (average === null) {
          // No usable average: exactly the money settings, nothing from days.
          expect(levels).toEqual(moneyOnly.levels);
          for (const name of LEVEL_NAMES) expect(detail[name].source).not.toBe('days');
          return;
        }
        for (const name of LEVEL_NAMES) {
          const d = detail[name];
          if (d.source !== 'days') continue;
          const supply = (d.spec as { days: number }).days * average;
          expect(d.fen).toBeLessThanOrEqual(supply);
          expect(d.fen).toBeGreaterThanOrEqual(supply - 1);
        }
        // A balance with more days of supply left than the cut-off level is set at is never cut.
        const cutoff = detail.cutoffLevel;
        if (cutoff.source === 'days' && balanceFen / average > (cutoff.spec as { days: number }).days) {
          const decision = decide({
            now: NOW, balanceFen, levels, protected: false, keepPowerHold: false, alarm2At: NOW - 30 * DAY_MS, utcOffsetMinutes: 480,
            graceMs: 0, noCut: { noCut: false }, relayState: 'closed', pendingAction: null,
          });
          expect(decision.action).not.toBe('disconnect');
        }
      }), { numRuns: 2000 });
  });

  it('one busy first hour is not a rate: the money levels stand until the account has a history', () => {
    // The audit's account: levels of 5, 2, 0.5 and 1 days; 10,000 fen paid, 100 kWh used at once.
    const own = { alarmLevel1: { days: 5 }, alarmLevel2: { days: 2 }, cutoffLevel: { days: 0.5 }, restoreLevel: { days: 1 } };
    const p = policy({});
    for (const ageMs of [10 * 60_000, DAY_MS, DAY_MS + 3_600_000, 6 * DAY_MS]) {
      const average = levelsAverageDailyChargeFen(5283, 30, 7, NOW - ageMs, NOW);
      expect(average).toBeNull();
      expect(resolveLevels({ category: 'residential', creditGrade: 'B', overrides: own, averageDailyChargeFen: average }, p).levels)
        .toEqual({ alarmLevel1Fen: 2000, alarmLevel2Fen: 1000, cutoffLevelFen: 0, restoreLevelFen: 0 });
    }
    // A week on, the same charge is a rate of 754.7 fen a day; 31 days on it has left the window.
    const week = levelsAverageDailyChargeFen(5283, 30, 7, NOW - 7 * DAY_MS, NOW)!;
    expect(resolveLevels({ category: 'residential', creditGrade: 'B', overrides: own, averageDailyChargeFen: week }, p).levels)
      .toEqual({ alarmLevel1Fen: 3773, alarmLevel2Fen: 1509, cutoffLevelFen: 377, restoreLevelFen: 754 });
    expect(levelsAverageDailyChargeFen(0, 30, 7, NOW - 31 * DAY_MS, NOW)).toBeNull();
  });
});
