// Levels from category and credit grade, overridable per account, in money or days of supply;
// grace per credit grade; the average daily charge and the days-remaining forecast.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { graceMsFor, resolveLevels, usesDays, validateLevelOverrides, type LevelPolicy } from '../../src/domain/thresholds.js';
import { DAY_MS, averageDailyChargeFen, daysRemaining, expectedCutoffAt } from '../../src/domain/forecast.js';

const POLICY: LevelPolicy = {
  defaults: {
    alarmLevel1Fen: 2000, alarmLevel2Fen: 1000, cutoffLevelFen: 0, restoreLevelFen: 0,
    categories: { business: { alarmLevel1: { days: 5 }, alarmLevel2: { days: 2 } }, school: { alarmLevel1: { fen: 50_000 } } },
    creditGrades: { A: { overdraftFen: 5000, graceMs: 3 * DAY_MS }, B: {}, D: { graceMs: 0 } },
  },
  engine: { graceMs: DAY_MS },
};
const base = { category: 'residential', creditGrade: 'B', overrides: {}, averageDailyChargeFen: null };

describe('resolveLevels', () => {
  it('the defaults for a residential B account', () => {
    const { levels, detail } = resolveLevels(base, POLICY);
    expect(levels).toEqual({ alarmLevel1Fen: 2000, alarmLevel2Fen: 1000, cutoffLevelFen: 0, restoreLevelFen: 0 });
    expect(detail.alarmLevel1).toEqual({ fen: 2000, spec: { fen: 2000 }, source: 'default', setBy: 'default', skipped: [] });
  });

  it('credit grade A sets the cut-off level to minus its overdraft', () => {
    const { levels, detail } = resolveLevels({ ...base, creditGrade: 'A' }, POLICY);
    expect(levels.cutoffLevelFen).toBe(-5000);
    expect(detail.cutoffLevel).toMatchObject({ source: 'grade', setBy: 'grade' });
  });

  it('a category in days turns into money at the account consumption', () => {
    const { levels, detail } = resolveLevels({ ...base, category: 'business', averageDailyChargeFen: 1234 }, POLICY);
    expect(levels).toMatchObject({ alarmLevel1Fen: 6170, alarmLevel2Fen: 2468 });
    expect(detail.alarmLevel1).toEqual({ fen: 6170, spec: { days: 5 }, source: 'days', setBy: 'category', skipped: [] });
  });

  it('a level in days without consumption history falls back to the money level below it', () => {
    const { detail } = resolveLevels({ ...base, category: 'business', overrides: { alarmLevel1: { days: 3 } } }, POLICY);
    expect(detail.alarmLevel1).toEqual({
      fen: 2000, spec: { fen: 2000 }, source: 'default', setBy: 'default', skipped: [{ days: 3, setBy: 'override' }, { days: 5, setBy: 'category' }],
    });
  });

  it('an account override beats its category, in money or days', () => {
    expect(resolveLevels({ ...base, category: 'school', overrides: { alarmLevel1: { fen: 9000 } } }, POLICY).detail.alarmLevel1.source).toBe('override');
    const days = resolveLevels({ ...base, category: 'school', overrides: { alarmLevel1: { days: 10 } }, averageDailyChargeFen: 300 }, POLICY);
    expect(days.levels.alarmLevel1Fen).toBe(3000);
    expect(resolveLevels({ ...base, category: 'school' }, POLICY).levels.alarmLevel1Fen).toBe(50_000);
  });

  it('a negative number of days is an overdraft in days of supply', () => {
    const { levels } = resolveLevels({ ...base, overrides: { cutoffLevel: { days: -2 } }, averageDailyChargeFen: 500 }, POLICY);
    expect(levels.cutoffLevelFen).toBe(-1000);
  });

  it('property: levels are always ordered alarm 1 ≥ alarm 2 ≥ cut-off ≤ restore', () => {
    const spec = fc.oneof(fc.record({ fen: fc.integer({ min: -100_000, max: 100_000 }) }), fc.record({ days: fc.integer({ min: -30, max: 30 }) }));
    const overrides = fc.record({ alarmLevel1: spec, alarmLevel2: spec, cutoffLevel: spec, restoreLevel: spec }, { requiredKeys: [] });
    fc.assert(fc.property(overrides, fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: null }), fc.constantFrom('A', 'B', 'D'), (o, daily, grade) => {
      const { levels } = resolveLevels({ category: 'business', creditGrade: grade, overrides: o, averageDailyChargeFen: daily }, POLICY);
      expect(levels.alarmLevel1Fen).toBeGreaterThanOrEqual(levels.alarmLevel2Fen);
      expect(levels.alarmLevel2Fen).toBeGreaterThanOrEqual(levels.cutoffLevelFen);
      expect(levels.restoreLevelFen).toBeGreaterThanOrEqual(levels.cutoffLevelFen);
    }));
  });

  it('knows which accounts move with consumption', () => {
    expect(usesDays({ category: 'business', creditGrade: 'B', overrides: {} }, POLICY)).toBe(true);
    expect(usesDays({ category: 'residential', creditGrade: 'B', overrides: {} }, POLICY)).toBe(false);
    expect(usesDays({ category: 'residential', creditGrade: 'B', overrides: { restoreLevel: { days: 1 } } }, POLICY)).toBe(true);
  });
});

describe('validateLevelOverrides', () => {
  it('accepts money and days', () => {
    expect(validateLevelOverrides({ alarmLevel1: { days: 3 }, cutoffLevel: { fen: -500 } })).toEqual({ alarmLevel1: { days: 3 }, cutoffLevel: { fen: -500 } });
    expect(validateLevelOverrides(null)).toEqual({});
  });

  it.each([
    [{ alarm3: { fen: 1 } }, 'unknown level "alarm3"'],
    [{ alarmLevel1: { fen: 1.5 } }, 'alarmLevel1'],
    [{ alarmLevel1: { days: 400 } }, 'alarmLevel1'],
    [{ alarmLevel1: { fen: 1, days: 2 } }, 'alarmLevel1'],
    [[1], 'must be an object'],
  ])('rejects %j', (value, message) => {
    expect(() => validateLevelOverrides(value)).toThrow(message);
  });
});

describe('graceMsFor', () => {
  it('a grade with its own grace uses it; others the engine grace', () => {
    expect(graceMsFor('A', POLICY)).toBe(3 * DAY_MS);
    expect(graceMsFor('D', POLICY)).toBe(0);
    expect(graceMsFor('B', POLICY)).toBe(DAY_MS);
    expect(graceMsFor('C', POLICY)).toBe(DAY_MS);
  });
});

describe('forecast', () => {
  const now = Date.UTC(2026, 10, 23);

  it('averages the window, or the account age when younger', () => {
    expect(averageDailyChargeFen(30_000, 30, 0, now)).toBe(1000);
    expect(averageDailyChargeFen(3_000, 30, now - 3 * DAY_MS, now)).toBe(1000);
    expect(averageDailyChargeFen(500, 30, now - 3_600_000, now)).toBe(500); // at least one day
  });

  it('days remaining until the cut-off level, to one decimal', () => {
    expect(daysRemaining(10_000, 0, 1000)).toBe(10);
    expect(daysRemaining(10_000, -5000, 1000)).toBe(15);
    expect(daysRemaining(1_550, 0, 1000)).toBe(1.5);
    expect(daysRemaining(-10, 0, 1000)).toBe(0);
    expect(daysRemaining(10_000, 0, 0)).toBeNull();
    expect(expectedCutoffAt(10_000, 0, 1000, now)).toBe(now + 10 * DAY_MS);
    expect(expectedCutoffAt(10_000, 0, 0, now)).toBeNull();
  });
});
