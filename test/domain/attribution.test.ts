// The attribution rule's pure parts (src/domain/attribution.ts, docs/charging.md): the register
// between readings by linear interpolation rounded half up, the band runs a stretch of time is cut
// into, which intervals are split by time, per-tier rounding of a ladder's parts, and the
// tolerance between per-tariff registers and the total register.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { interpolateWh, isEstimated, splitsOf } from '../../src/domain/attribution.js';
import { bandIntervals } from '../../src/domain/tariff-time.js';
import { scheduleOf, segmentsBetween } from '../../src/domain/tariff-schedule.js';
import { noBandEnergy, segmentParts, type TouTariff, type TieredTariff } from '../../src/domain/tariff.js';
import { registerMismatch, registerToleranceWh } from '../../src/domain/register-consistency.js';

const UTC8 = 480;
const local = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h, min) - UTC8 * 60_000;
const HOUR = 3_600_000;

const TOU: TouTariff = {
  kind: 'tou', prices: { peak: '0.5683', flat: '0.5683', valley: '0.2883' },
  bands: [{ band: 'peak', from: '08:00', to: '22:00' }, { band: 'valley', from: '22:00', to: '08:00' }],
};

describe('interpolateWh', () => {
  it('is the reading at its time, the straight line between, rounded half up', () => {
    const a = { ts: 0, wh: 1000 };
    const b = { ts: 3 * HOUR, wh: 1010 };
    expect(interpolateWh(a, b, 0)).toBe(1000);
    expect(interpolateWh(a, b, HOUR)).toBe(1003); //       3.33 → 3
    expect(interpolateWh(a, b, 2 * HOUR)).toBe(1007); //   6.67 → 7
    expect(interpolateWh(a, { ts: 2 * HOUR, wh: 1001 }, HOUR)).toBe(1001); // 0.5 → 1 (half up)
    expect(interpolateWh(a, b, 3 * HOUR)).toBe(1010);
  });

  it('a register that fell stays at the earlier reading', () => {
    expect(interpolateWh({ ts: 0, wh: 1000 }, { ts: HOUR, wh: 900 }, HOUR / 2)).toBe(1000);
  });

  it('is exact for registers and spans far beyond 2^53 when multiplied', () => {
    const a = { ts: local(2020, 1, 1), wh: 0 };
    const b = { ts: local(2030, 1, 1), wh: 9_000_000_000_000 };
    const mid = interpolateWh(a, b, (a.ts + b.ts) / 2);
    expect(mid).toBe(4_500_000_000_000);
  });

  it('property: monotone in time, within the readings, so the pieces of an interval add up to it', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10 * 86_400_000 }), fc.integer({ min: 0, max: 10_000_000 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 10 }), (span, energy, cuts) => {
        const a = { ts: 1_000_000, wh: 5000 };
        const b = { ts: a.ts + span, wh: a.wh + energy };
        const times = [a.ts, ...cuts.map((c) => a.ts + Math.floor(c * span)).sort((x, y) => x - y), b.ts];
        const values = times.map((t) => interpolateWh(a, b, t));
        for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
        expect(values.slice(1).reduce((s, v, i) => s + (v - values[i]!), 0)).toBe(energy);
      }));
  });
});

describe('bandIntervals', () => {
  it('cuts a stretch at every band edge, inclusive at the start and exclusive at the end', () => {
    expect(bandIntervals(TOU, local(2026, 11, 23, 7, 30), local(2026, 11, 24, 8, 30), UTC8)).toEqual([
      { from: local(2026, 11, 23, 7, 30), to: local(2026, 11, 23, 8), band: 'valley' },
      { from: local(2026, 11, 23, 8), to: local(2026, 11, 23, 22), band: 'peak' },
      { from: local(2026, 11, 23, 22), to: local(2026, 11, 24, 8), band: 'valley' }, // runs across midnight stay whole
      { from: local(2026, 11, 24, 8), to: local(2026, 11, 24, 8, 30), band: 'peak' },
    ]);
    expect(bandIntervals(TOU, local(2026, 11, 23, 21), local(2026, 11, 23, 22), UTC8)).toEqual([
      { from: local(2026, 11, 23, 21), to: local(2026, 11, 23, 22), band: 'peak' },
    ]);
  });

  it('property: the runs tile the stretch, and each run is in its band throughout', () => {
    const tariff: TouTariff = {
      kind: 'tou', prices: { flat: '1' },
      bands: [{ band: 'critical', from: '19:00', to: '21:00', months: [7, 8] }, { band: 'valley', from: '23:00', to: '07:00' }, { band: 'peak', from: '08:00', to: '11:00' }],
    };
    fc.assert(fc.property(fc.integer({ min: local(2026, 1, 1), max: local(2027, 1, 1) }), fc.integer({ min: 1, max: 5 * 86_400_000 }), (start, length) => {
      const runs = bandIntervals(tariff, start, start + length, UTC8);
      expect(runs[0]!.from).toBe(start);
      expect(runs.at(-1)!.to).toBe(start + length);
      for (let i = 1; i < runs.length; i++) {
        expect(runs[i]!.from).toBe(runs[i - 1]!.to);
        expect(runs[i]!.band).not.toBe(runs[i - 1]!.band);
      }
    }));
  });
});

describe('splitsOf', () => {
  const ladder: TieredTariff = { kind: 'tiered', period: 'month', steps: [{ upToKwh: 200, pricePerKwh: '0.588' }, { pricePerKwh: '0.638' }] };
  const schedule = scheduleOf({ tariffId: 'ladder', tariff: ladder }, []);

  it('an interval across a reset is split; a reading at the reset splits nothing', () => {
    const segs = segmentsBetween(schedule, local(2026, 3, 31, 12), local(2026, 4, 1, 12), UTC8);
    const split = splitsOf([local(2026, 3, 31, 12), local(2026, 4, 1, 12)], segs, false, UTC8);
    expect(split.splitEnds).toEqual([local(2026, 4, 1, 12)]);
    expect(isEstimated(split, segs[0]!.key, 'tier-1')).toBe(true);
    const exact = splitsOf([local(2026, 3, 31, 12), local(2026, 4, 1), local(2026, 4, 1, 12)], segs, false, UTC8);
    expect(exact.splitEnds).toEqual([]);
    expect(isEstimated(exact, segs[1]!.key, 'tier-1')).toBe(false);
  });

  it('time-of-use by time: an interval across a band edge is split, one inside a band is not', () => {
    const segs = segmentsBetween(scheduleOf({ tariffId: 'tou', tariff: TOU }, []), local(2026, 11, 23, 7), local(2026, 11, 23, 23), UTC8);
    const times = [local(2026, 11, 23, 7), local(2026, 11, 23, 7, 30), local(2026, 11, 23, 8, 30), local(2026, 11, 23, 21), local(2026, 11, 23, 23)];
    const s = splitsOf(times, segs, false, UTC8);
    expect(s.splitEnds).toEqual([local(2026, 11, 23, 8, 30), local(2026, 11, 23, 23)]);
    // by registers, bands are measured: no band edge splits anything
    expect(splitsOf(times, segs, true, UTC8).splitEnds).toEqual([]);
  });
});

describe('segmentParts: a ladder is rounded tier by tier', () => {
  it('each tier on its own energy, after the prior energy of the period', () => {
    const ladder: TieredTariff = { kind: 'tiered', period: 'month', steps: [{ upToKwh: 200, pricePerKwh: '0.588' }, { upToKwh: 450, pricePerKwh: '0.638' }, { pricePerKwh: '0.888' }] };
    expect(segmentParts(ladder, { totalWh: 300_000, priorWh: 180_000, bandWh: noBandEnergy() })).toEqual([
      { part: 'tier-1', tier: 1, pricePerKwh: '0.588', energyWh: 20_000, fen: 1176 },
      { part: 'tier-2', tier: 2, pricePerKwh: '0.638', energyWh: 250_000, fen: 15_950 },
      { part: 'tier-3', tier: 3, pricePerKwh: '0.888', energyWh: 30_000, fen: 2664 },
    ]);
  });
});

describe('register consistency', () => {
  it('the tolerance is 50 Wh and 0.5 % of the total', () => {
    expect(registerToleranceWh(0)).toBe(50);
    expect(registerToleranceWh(10_000)).toBe(100);
    expect(registerToleranceWh(10_001)).toBe(101);
  });

  it('bands that add up to 5 kWh beside a total of 10 kWh are a mismatch; a few Wh of truncation is not', () => {
    expect(registerMismatch(10_000, { criticalWh: null, peakWh: 3000, flatWh: 0, valleyWh: 2000 })).toEqual({ totalWh: 10_000, bandsWh: 5000, differenceWh: -5000, toleranceWh: 100 });
    expect(registerMismatch(10_000, { criticalWh: null, peakWh: 3000, flatWh: 4970, valleyWh: 2000 })).toBeNull();
  });

  it('without a flat register only bands above the total can be told', () => {
    expect(registerMismatch(10_000, { criticalWh: null, peakWh: 3000, flatWh: null, valleyWh: 2000 })).toBeNull();
    expect(registerMismatch(10_000, { criticalWh: null, peakWh: 8000, flatWh: null, valleyWh: 3000 })).toMatchObject({ differenceWh: 1000 });
  });
});
