// Tiered tariffs (阶梯电价): the ladder on a period's cumulative energy, its monthly and annual
// periods in local time with their reset day, and "no rounding drift": per-reading charges within
// a period sum exactly to the charge on the period's total energy.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cumulativeChargeFen, chargeBetweenFen, ladderUnits, parseTariff, segmentChargeFen, noBandEnergy, type TieredTariff } from '../../src/domain/tariff.js';
import { periodAt } from '../../src/domain/tariff-time.js';

// A typical residential annual ladder (阶梯): 0–2760 kWh at 0.4883, 2761–4800 at 0.5383, above at 0.7883 yuan/kWh.
const ANNUAL: TieredTariff = {
  kind: 'tiered', period: 'year',
  steps: [{ upToKwh: 2760, pricePerKwh: '0.4883' }, { upToKwh: 4800, pricePerKwh: '0.5383' }, { pricePerKwh: '0.7883' }],
};
const UTC8 = 480;
const local = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h, min) - UTC8 * 60_000;

describe('parseTariff: tiered', () => {
  it('accepts a ladder and keeps it as given', () => {
    expect(parseTariff(JSON.stringify(ANNUAL))).toEqual(ANNUAL);
  });

  it.each([
    [{ kind: 'tiered', period: 'week', steps: [{ pricePerKwh: '1' }] }, 'period'],
    [{ kind: 'tiered', period: 'month', steps: [] }, 'steps'],
    [{ kind: 'tiered', period: 'month', steps: [{ upToKwh: 100, pricePerKwh: '1' }] }, 'last step'],
    [{ kind: 'tiered', period: 'month', steps: [{ upToKwh: 100, pricePerKwh: '1' }, { upToKwh: 100, pricePerKwh: '2' }, { pricePerKwh: '3' }] }, 'steps[1].upToKwh'],
    [{ kind: 'tiered', period: 'month', steps: [{ upToKwh: 0.5, pricePerKwh: '1' }, { pricePerKwh: '2' }] }, 'steps[0].upToKwh'],
    [{ kind: 'tiered', period: 'month', steps: [{ pricePerKwh: '0.1234567' }] }, 'steps[0].pricePerKwh'],
    [{ kind: 'tiered', period: 'month', resetDay: 31, steps: [{ pricePerKwh: '1' }] }, 'resetDay'],
    [{ kind: 'tiered', period: 'year', resetMonth: 13, steps: [{ pricePerKwh: '1' }] }, 'resetMonth'],
  ])('rejects %j naming %s', (definition, what) => {
    expect(() => parseTariff(JSON.stringify(definition))).toThrow(RangeError);
    expect(() => parseTariff(JSON.stringify(definition))).toThrow(what);
  });
});

describe('the ladder', () => {
  it.each([
    // hand-computed: fen = kWh × price × 100, rounded half up
    [0, 0],
    [1000, 49], //                 1 kWh × 0.4883 = 48.83 fen
    [2_760_000, 134_771], //       2760 × 0.4883 = 1347.708 yuan
    [2_761_000, 134_825], //       + 1 kWh × 0.5383 = 1348.2463
    [4_800_000, 244_584], //       1347.708 + 2040 × 0.5383 = 2445.840
    [5_000_000, 260_350], //       2445.840 + 200 × 0.7883 = 2603.500
  ])('%i Wh in a year costs %i fen', (wh, fen) => {
    expect(cumulativeChargeFen(ANNUAL, wh)).toBe(fen);
  });

  it('charges a step on the energy inside it only', () => {
    // 2,700 → 2,800 kWh: 60 kWh at 0.4883 and 40 kWh at 0.5383 = 29.298 + 21.532 = 50.83 yuan
    expect(chargeBetweenFen(ANNUAL, 2_700_000, 2_800_000)).toBe(5083);
  });

  it('exact units are the sum over the steps', () => {
    expect(ladderUnits(ANNUAL, 2_761_000)).toBe(2_760_000n * 488_300n + 1000n * 538_300n);
  });

  it('a segment that starts mid-period continues the ladder from its prior energy', () => {
    const energy = { totalWh: 100_000, priorWh: 2_700_000, bandWh: noBandEnergy() };
    expect(segmentChargeFen(ANNUAL, energy)).toBe(chargeBetweenFen(ANNUAL, 2_700_000, 2_800_000));
  });

  it('property: per-reading charges within a period sum exactly to the charge on the total', () => {
    const ladder = fc.tuple(fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 0, maxLength: 4 }), fc.array(fc.constantFrom('0.4883', '0.5383', '0.7883', '1.000001', '0.000007'), { minLength: 5, maxLength: 5 }))
      .map(([widths, prices]): TieredTariff => {
        let upTo = 0;
        const steps: TieredTariff['steps'] = widths.map((w, i) => ({ upToKwh: (upTo += w), pricePerKwh: prices[i]! }));
        steps.push({ pricePerKwh: prices[4]! });
        return { kind: 'tiered', period: 'month', steps };
      });
    fc.assert(fc.property(ladder, fc.array(fc.integer({ min: 0, max: 50_000 }), { maxLength: 60 }), (tariff, increments) => {
      let cumulative = 0;
      let sum = 0;
      for (const inc of increments) {
        sum += chargeBetweenFen(tariff, cumulative, cumulative + inc);
        cumulative += inc;
      }
      expect(sum).toBe(cumulativeChargeFen(tariff, cumulative));
    }));
  });
});

describe('periodAt', () => {
  it('a calendar month in local time (UTC+8)', () => {
    expect(periodAt(local(2026, 11, 23, 12), { period: 'month' }, UTC8)).toEqual({ start: local(2026, 11, 1), end: local(2026, 12, 1) });
  });

  it('midnight local belongs to the new month, a minute before to the old', () => {
    expect(periodAt(local(2026, 12, 1), { period: 'month' }, UTC8).start).toBe(local(2026, 12, 1));
    expect(periodAt(local(2026, 11, 30, 23, 59), { period: 'month' }, UTC8).start).toBe(local(2026, 11, 1));
  });

  it('a month from a reset day (meter reading day)', () => {
    expect(periodAt(local(2026, 11, 10), { period: 'month', resetDay: 15 }, UTC8)).toEqual({ start: local(2026, 10, 15), end: local(2026, 11, 15) });
    expect(periodAt(local(2026, 1, 10), { period: 'month', resetDay: 15 }, UTC8)).toEqual({ start: local(2025, 12, 15), end: local(2026, 1, 15) });
    expect(periodAt(local(2026, 12, 20), { period: 'month', resetDay: 15 }, UTC8)).toEqual({ start: local(2026, 12, 15), end: local(2027, 1, 15) });
  });

  it('a calendar year, and a year from a reset month', () => {
    expect(periodAt(local(2026, 6, 1), { period: 'year' }, UTC8)).toEqual({ start: local(2026, 1, 1), end: local(2027, 1, 1) });
    expect(periodAt(local(2026, 6, 1), { period: 'year', resetMonth: 7 }, UTC8)).toEqual({ start: local(2025, 7, 1), end: local(2026, 7, 1) });
    expect(periodAt(local(2026, 7, 1), { period: 'year', resetMonth: 7 }, UTC8)).toEqual({ start: local(2026, 7, 1), end: local(2027, 7, 1) });
  });

  it('property: every instant lies in its period, and the next period starts where it ends', () => {
    const spec = fc.record({ period: fc.constantFrom('month' as const, 'year' as const), resetMonth: fc.integer({ min: 1, max: 12 }), resetDay: fc.integer({ min: 1, max: 28 }) });
    fc.assert(fc.property(spec, fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2090, 0, 1) }), fc.integer({ min: -720, max: 840 }), (s, at, tz) => {
      const p = periodAt(at, s, tz);
      expect(p.start).toBeLessThanOrEqual(at);
      expect(at).toBeLessThan(p.end);
      expect(periodAt(p.end, s, tz).start).toBe(p.end);
      expect(periodAt(p.start - 1, s, tz).end).toBe(p.start);
    }));
  });
});
