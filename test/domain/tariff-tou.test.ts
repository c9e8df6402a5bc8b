// Time-of-use tariffs (峰/平/谷/尖): bands by local time of day (wrapping midnight, seasonal
// ranges), charges per band on each band's cumulative energy, and the tariff schedule that cuts
// time into charging segments at tariff changes and period boundaries.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TOU_BANDS, noBandEnergy, parseTariff, segmentChargeFen, type Tariff, type TouBand, type TouTariff } from '../../src/domain/tariff.js';
import { FOREVER, bandAt } from '../../src/domain/tariff-time.js';
import { scheduleOf, segmentAt, segmentsBetween } from '../../src/domain/tariff-schedule.js';

const UTC8 = 480;
const local = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h, min) - UTC8 * 60_000;

// A common provincial shape: valley 23:00–07:00, peak 08:00–11:00 and 18:00–23:00, critical peak
// 19:00–21:00 in July and August (listed first, so it wins over peak), flat otherwise.
const TOU: TouTariff = {
  kind: 'tou',
  prices: { critical: '1.0313', peak: '0.8595', flat: '0.5283', valley: '0.2483' },
  bands: [
    { band: 'critical', from: '19:00', to: '21:00', months: [7, 8] },
    { band: 'valley', from: '23:00', to: '07:00' },
    { band: 'peak', from: '08:00', to: '11:00' },
    { band: 'peak', from: '18:00', to: '23:00' },
  ],
};

describe('parseTariff: time-of-use', () => {
  it('accepts bands and prices', () => {
    expect(parseTariff(JSON.stringify(TOU))).toEqual(TOU);
  });

  it.each([
    [{ kind: 'tou', prices: { peak: '1' }, bands: [] }, 'prices.flat'],
    [{ kind: 'tou', prices: { flat: '1', shoulder: '2' }, bands: [] }, 'unknown band "shoulder"'],
    [{ kind: 'tou', prices: { flat: '1' }, bands: [{ band: 'peak', from: '8:00', to: '11:00' }] }, 'bands[0]'],
    [{ kind: 'tou', prices: { flat: '1' }, bands: [{ band: 'peak', from: '08:00', to: '08:00' }] }, 'empty'],
    [{ kind: 'tou', prices: { flat: '1' }, bands: [{ band: 'peak', from: '08:00', to: '09:00', months: [13] }] }, 'months'],
    [{ kind: 'tou', prices: { flat: '1' } }, 'bands must be an array'],
  ])('rejects %j naming %s', (definition, what) => {
    expect(() => parseTariff(JSON.stringify(definition))).toThrow(what);
  });
});

describe('bandAt', () => {
  it.each<[string, number, TouBand]>([
    ['03:00 in the valley (range wraps midnight)', local(2026, 11, 23, 3), 'valley'],
    ['23:00 starts the valley', local(2026, 11, 23, 23), 'valley'],
    ['07:00 ends it: flat until 08:00', local(2026, 11, 23, 7), 'flat'],
    ['08:00 peak', local(2026, 11, 23, 8), 'peak'],
    ['10:59 still peak', local(2026, 11, 23, 10, 59), 'peak'],
    ['11:00 flat', local(2026, 11, 23, 11), 'flat'],
    ['19:30 in November: peak', local(2026, 11, 23, 19, 30), 'peak'],
    ['19:30 in July: critical peak', local(2026, 7, 15, 19, 30), 'critical'],
    ['21:00 in July: peak again', local(2026, 7, 15, 21), 'peak'],
  ])('%s', (_what, at, band) => {
    expect(bandAt(TOU, at, UTC8)).toBe(band);
  });

  it('uses the configured offset, not the machine clock', () => {
    // 00:30 UTC is 08:30 at UTC+8 (peak) and 00:30 at UTC (valley)
    const at = Date.UTC(2026, 10, 23, 0, 30);
    expect(bandAt(TOU, at, 480)).toBe('peak');
    expect(bandAt(TOU, at, 0)).toBe('valley');
  });
});

describe('segmentChargeFen: time-of-use', () => {
  it('charges each band at its price, rounded once per band', () => {
    const bandWh = { ...noBandEnergy(), peak: 10_000, valley: 20_000, flat: 1 };
    // 10 kWh × 0.8595 = 859.5 fen → 860; 20 kWh × 0.2483 = 496.6 → 497; 1 Wh × 0.5283 = 0.05 → 0
    expect(segmentChargeFen(TOU, { totalWh: 30_001, priorWh: 0, bandWh })).toBe(860 + 497);
  });

  it('a band without its own price is charged at flat', () => {
    const t: TouTariff = { kind: 'tou', prices: { flat: '1' }, bands: [{ band: 'peak', from: '08:00', to: '11:00' }] };
    expect(segmentChargeFen(t, { totalWh: 1000, priorWh: 0, bandWh: { ...noBandEnergy(), peak: 1000 } })).toBe(100);
  });

  it('property: per-reading charges of each band sum exactly to the charge on its total', () => {
    const steps = fc.array(fc.record({ band: fc.constantFrom(...TOU_BANDS), wh: fc.integer({ min: 0, max: 3_000 }) }), { maxLength: 80 });
    fc.assert(fc.property(steps, (list) => {
      const cumulative = noBandEnergy();
      let sum = 0;
      for (const s of list) {
        const before = segmentChargeFen(TOU, { totalWh: 0, priorWh: 0, bandWh: { ...cumulative } });
        cumulative[s.band] += s.wh;
        sum += segmentChargeFen(TOU, { totalWh: 0, priorWh: 0, bandWh: { ...cumulative } }) - before;
      }
      // The same as charging each band's total alone at its price.
      const perBand = TOU_BANDS.reduce((fen, band) => fen + segmentChargeFen(TOU, { totalWh: 0, priorWh: 0, bandWh: { ...noBandEnergy(), [band]: cumulative[band] } }), 0);
      expect(sum).toBe(perBand);
    }));
  });
});

describe('charging segments', () => {
  const flat: Tariff = { kind: 'flat', pricePerKwh: '0.5283' };
  const tiered: Tariff = { kind: 'tiered', period: 'year', steps: [{ upToKwh: 2760, pricePerKwh: '0.4883' }, { pricePerKwh: '0.5383' }] };
  const change = local(2026, 7, 1);
  const schedule = scheduleOf({ tariffId: 'flat', tariff: flat }, [{ from: change, tariffId: 'ladder', tariff: tiered }]);

  it('a flat tariff is charged in billing months until the first change', () => {
    expect(segmentAt(schedule, local(2026, 6, 30), UTC8)).toMatchObject({ start: local(2026, 6, 1), end: change, tariffId: 'flat' });
    expect(segmentAt(schedule, local(2026, 5, 31, 23), UTC8)).toMatchObject({ start: local(2026, 5, 1), end: local(2026, 6, 1), tariffId: 'flat' });
  });

  it('segmentsBetween: the segments a stretch of time touches, and the ladder segments after it that count on it', () => {
    const between = segmentsBetween(schedule, local(2026, 5, 15), local(2026, 7, 2), UTC8);
    expect(between.map((s) => [s.start, s.tariffId])).toEqual([[local(2026, 5, 1), 'flat'], [local(2026, 6, 1), 'flat'], [change, 'ladder']]);
    // A tariff change to a ladder on 1 July: a stretch in June changes the prior ladder energy of July's segment.
    expect(segmentsBetween(schedule, local(2026, 6, 10), local(2026, 6, 11), UTC8).map((s) => s.tariffId)).toEqual(['flat', 'ladder']);
  });

  it('a tiered tariff taking over mid-year starts its segment at the change and its ladder at the period start', () => {
    expect(segmentAt(schedule, local(2026, 8, 1), UTC8)).toMatchObject({ start: change, end: local(2027, 1, 1), ladderStart: local(2026, 1, 1), tariffId: 'ladder' });
    expect(segmentAt(schedule, local(2027, 3, 1), UTC8)).toMatchObject({ start: local(2027, 1, 1), end: local(2028, 1, 1), ladderStart: local(2027, 1, 1) });
  });

  it('time-of-use segments are billing months', () => {
    const s = segmentAt(scheduleOf({ tariffId: 'tou', tariff: TOU }, []), local(2026, 11, 23, 12), UTC8);
    expect(s).toMatchObject({ start: local(2026, 11, 1), end: local(2026, 12, 1) });
  });

  it('property: segments partition time — each instant is in its segment, and segments abut', () => {
    const assignments = fc.uniqueArray(fc.integer({ min: local(2025, 1, 1), max: local(2028, 1, 1) }), { maxLength: 4 })
      .chain((times) => fc.tuple(fc.constant(times), fc.array(fc.constantFrom(flat, tiered, TOU), { minLength: times.length, maxLength: times.length })));
    fc.assert(fc.property(assignments, fc.constantFrom(flat, tiered, TOU), fc.integer({ min: local(2024, 6, 1), max: local(2028, 6, 1) }), ([times, tariffs], initial, at) => {
      const sched = scheduleOf({ tariffId: 't0', tariff: initial }, times.map((from, i) => ({ from, tariffId: `t${i + 1}`, tariff: tariffs[i]! })));
      const s = segmentAt(sched, at, UTC8);
      expect(s.start).toBeLessThanOrEqual(at);
      expect(at).toBeLessThan(s.end);
      if (s.end < FOREVER) expect(segmentAt(sched, s.end, UTC8).start).toBe(s.end);
      if (s.start > -FOREVER) expect(segmentAt(sched, s.start - 1, UTC8).end).toBe(s.start);
    }));
  });
});
