// Consumption charging with tiered and time-of-use tariffs and tariff changes, on a real SQLite
// database, under the attribution rule (docs/charging.md): an interval spanning a ladder reset, a
// band edge or a tariff change is split there by time; a late reading re-attributes the interval
// it falls in; time-of-use by the single register's times or by the meter's own per-tariff
// registers; a tariff change takes effect at its time.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { recordReading, type TouRegisters } from '../../src/ledger/consumption.js';
import { assignTariff, defineTariff } from '../../src/ledger/tariffs.js';
import { AppError } from '../../src/errors.js';

const UTC8 = 480;
const local = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h, min) - UTC8 * 60_000;

let t: TestDb;
beforeEach(() => {
  t = openTestDb();
  // Monthly ladder: first 100 kWh at 0.5, next 100 at 1, then 2 yuan/kWh.
  defineTariff(t.repos, 'ladder-m', 'monthly ladder', {
    kind: 'tiered', period: 'month', steps: [{ upToKwh: 100, pricePerKwh: '0.5' }, { upToKwh: 200, pricePerKwh: '1' }, { pricePerKwh: '2' }],
  }, 'test', 0);
  defineTariff(t.repos, 'tou', 'peak/valley', {
    kind: 'tou', prices: { peak: '1', flat: '0.5', valley: '0.25' },
    bands: [{ band: 'valley', from: '23:00', to: '07:00' }, { band: 'peak', from: '08:00', to: '22:00' }],
  }, 'test', 0);
  defineTariff(t.repos, 'flat-2', 'flat 2 yuan', { kind: 'flat', pricePerKwh: '2' }, 'test', 0);
});
afterEach(() => t.cleanup());

function read(meterId: string, ts: number, energyWh: number, tou?: TouRegisters) {
  return t.repos.transaction(() => recordReading(t.repos, { meterId, ts, energyWh, tou }, ts, UTC8));
}
const balance = (id: string) => t.repos.accounts.get(id)!.balanceFen;
const consumption = (id: string) => t.repos.ledger.entries(id, 0, 10_000).filter((e) => e.kind === 'consumption');

describe('tiered tariff', () => {
  beforeEach(() => {
    t.account({ id: 'acc', tariffId: 'ladder-m' });
    t.meter('m', 'acc');
  });

  it('climbs the ladder within a month and starts again the next month', () => {
    read('m', local(2026, 11, 1, 1), 1_000_000);
    read('m', local(2026, 11, 10), 1_080_000); //   80 kWh × 0.5 = 40 yuan
    expect(balance('acc')).toBe(-4000);
    read('m', local(2026, 11, 20), 1_150_000); //   20 × 0.5 + 50 × 1 = 60 yuan
    expect(balance('acc')).toBe(-10_000);
    read('m', local(2026, 11, 30), 1_260_000); //   50 × 1 + 60 × 2 = 170 yuan
    expect(balance('acc')).toBe(-27_000);
    // 30 Nov 00:00 → 2 Dec 00:00 spans the reset at 1 Dec 00:00: half the 10 kWh in each month,
    // 5 kWh × 2 = 10 yuan in November (tier 3), 5 kWh × 0.5 = 2.5 yuan in December (tier 1).
    read('m', local(2026, 12, 2), 1_270_000);
    expect(balance('acc')).toBe(-28_250);
    expect(consumption('acc').map((e) => e.energyWh)).toEqual([80_000, 70_000, 110_000, 10_000]);
    const last = consumption('acc').at(-1)!;
    expect(last).toMatchObject({ intervalFrom: local(2026, 11, 30), intervalTo: local(2026, 12, 2) });
    expect(JSON.parse(last.breakdown!)).toEqual([
      { periodStart: local(2026, 11, 1), periodEnd: local(2026, 12, 1), tariffId: 'ladder-m', tier: 3, pricePerKwh: '2', energyWh: 5000, amountFen: -1000, basis: 'estimated' },
      { periodStart: local(2026, 12, 1), periodEnd: local(2027, 1, 1), tariffId: 'ladder-m', tier: 1, pricePerKwh: '0.5', energyWh: 5000, amountFen: -250, basis: 'estimated' },
    ]);
    expect(JSON.parse(consumption('acc')[1]!.breakdown!)).toEqual([ // 20 kWh finish tier 1, 50 kWh into tier 2: measured
      { periodStart: local(2026, 11, 1), periodEnd: local(2026, 12, 1), tariffId: 'ladder-m', tier: 1, pricePerKwh: '0.5', energyWh: 20_000, amountFen: -1000, basis: 'measured' },
      { periodStart: local(2026, 11, 1), periodEnd: local(2026, 12, 1), tariffId: 'ladder-m', tier: 2, pricePerKwh: '1', energyWh: 50_000, amountFen: -5000, basis: 'measured' },
    ]);
  });

  it('a late reading inside a charged interval re-attributes it once', () => {
    read('m', local(2026, 11, 1, 1), 0);
    // 1 Nov 01:00 → 1 Dec 01:00 (720 h, 120 kWh) split at 1 Dec 00:00: 719/720 in November.
    // November 119,833 Wh: 100 kWh × 0.5 + 19,833 Wh × 1 = 50 + 19.83 yuan; December 167 Wh × 0.5 = 0.08 yuan.
    read('m', local(2026, 12, 1, 1), 120_000);
    expect(balance('acc')).toBe(-(5000 + 1983 + 8));
    // 30 Nov 23:00 at 90 kWh: 23:00 → 01:00 (30 kWh) is split at midnight, 15 kWh a side.
    // November 105 kWh: 50 + 5 = 55 yuan; December 15 kWh × 0.5 = 7.5 yuan.
    const late = read('m', local(2026, 11, 30, 23), 90_000);
    expect(late).toMatchObject({ stored: true, chargedFen: 6250 - 6991, balanceChanged: true });
    expect(balance('acc')).toBe(-6250);
    const correction = consumption('acc').at(-1)!;
    expect(correction).toMatchObject({ amountFen: 741, energyWh: 0, intervalFrom: local(2026, 11, 1, 1), intervalTo: local(2026, 12, 1, 1), reason: expect.stringContaining('late reading') });
    const parts = JSON.parse(correction.breakdown!) as Array<{ energyWh: number; amountFen: number }>;
    expect(parts.reduce((s, p) => s + p.energyWh, 0)).toBe(0);
    expect(parts.reduce((s, p) => s + p.amountFen, 0)).toBe(741);
    read('m', local(2026, 11, 30, 23), 90_000); // the same late reading again: nothing
    expect(consumption('acc')).toHaveLength(2);
    expect(t.repos.ledger.invariantViolations()).toEqual([]);
  });

  it('an earlier reading arriving later charges the gap back to it, in its own month', () => {
    read('m', local(2026, 12, 5), 50_000);
    read('m', local(2026, 12, 6), 60_000); // 10 kWh × 0.5
    expect(balance('acc')).toBe(-500);
    read('m', local(2026, 11, 25), 20_000); // the base moves back 30 kWh: December now has 40 kWh
    expect(balance('acc')).toBe(-2000);
    expect(t.repos.meters.get('m')).toMatchObject({ chargeBaseWh: 20_000, chargedEnergyWh: 60_000 });
  });
});

describe('time-of-use tariff', () => {
  it('by the reading times: each interval spread over its bands by time', () => {
    t.account({ id: 'acc', tariffId: 'tou' });
    t.meter('m', 'acc');
    read('m', local(2026, 11, 23, 6), 0);
    read('m', local(2026, 11, 23, 7), 4000); //    06:00→07:00 all valley: 4 kWh
    read('m', local(2026, 11, 23, 9), 10_000); //  07→08 flat 3 kWh, 08→09 peak 3 kWh
    // 09:00 → 02:00 (17 h, 20 kWh): peak to 22:00 13/17 → 15,294 Wh, flat 22–23 → 1,177 Wh, valley 23–02 → 3,529 Wh
    read('m', local(2026, 11, 24, 2), 30_000);
    // per band on its cumulative energy: valley 7,529 Wh × 0.25 = 188 fen, flat 4,177 × 0.5 = 209, peak 18,294 × 1 = 1,829
    expect(balance('acc')).toBe(-(188 + 209 + 1829));
    const parts = JSON.parse(consumption('acc').at(-1)!.breakdown!) as Array<{ band: string; energyWh: number; basis: string }>;
    expect(parts.map((p) => [p.band, p.energyWh, p.basis])).toEqual([['peak', 15_294, 'estimated'], ['flat', 1177, 'estimated'], ['valley', 3529, 'estimated']]);
    expect(JSON.parse(consumption('acc')[0]!.breakdown!)).toMatchObject([{ band: 'valley', energyWh: 4000, basis: 'measured' }]);
  });

  it('by the meter registers when it has them, whatever the reading times', () => {
    t.account({ id: 'acc', tariffId: 'tou' });
    t.meter('m', 'acc');
    const at = local(2026, 11, 23, 12); // a peak time: the registers decide, not the clock
    read('m', at, 100_000, { peakWh: 40_000, flatWh: 30_000, valleyWh: 30_000 });
    read('m', at + 3_600_000, 112_000, { peakWh: 42_000, flatWh: 30_000, valleyWh: 40_000 }); // 2 kWh peak, 10 kWh valley
    expect(balance('acc')).toBe(-(200 + 250));
    // A reading without registers: its kWh is flat (the rest of the total) until the next registers say otherwise.
    read('m', at + 7_200_000, 113_000);
    expect(balance('acc')).toBe(-500);
    expect(JSON.parse(consumption('acc').at(-1)!.breakdown!)).toMatchObject([{ band: 'flat', energyWh: 1000, basis: 'estimated' }]);
    read('m', at + 10_800_000, 114_000, { peakWh: 44_000, flatWh: 30_000, valleyWh: 40_000 }); // the 2 kWh since were peak
    expect(balance('acc')).toBe(-650);
    expect(t.repos.tariffs.touFirst('m')).toMatchObject({ ts: at, peakWh: 40_000, criticalWh: null });
  });
});

describe('tariff changes', () => {
  it('take effect at their time and never re-price what was charged', () => {
    const now = local(2026, 11, 23);
    t.account({ id: 'acc', pricePerKwh: '1' }, now);
    t.meter('m', 'acc', now);
    read('m', local(2026, 11, 22), 0);
    read('m', local(2026, 11, 22, 12), 10_000); // 10 kWh × 1
    expect(balance('acc')).toBe(-1000);
    assignTariff(t.repos, { accountId: 'acc', tariffId: 'flat-2', effectiveFrom: local(2026, 11, 24), actor: 'admin' }, now);
    read('m', local(2026, 11, 23, 12), 15_000); // still 1 yuan: 5 kWh
    expect(balance('acc')).toBe(-1500);
    // 23 Nov 12:00 → 24 Nov 12:00 spans the change at midnight: 2.5 kWh at 1 yuan, 2.5 kWh at 2.
    read('m', local(2026, 11, 24, 12), 20_000);
    expect(balance('acc')).toBe(-(1500 + 250 + 500));
    // Late, 23 Nov 23:00: 23:00 → 12:00 (13 h, 3 kWh) is split at midnight, 231 Wh before: 17,231 Wh at 1 yuan, 2,769 Wh at 2.
    read('m', local(2026, 11, 23, 23), 17_000);
    expect(balance('acc')).toBe(-(1723 + 554));
    expect(t.repos.journal.events(0, 'acc', 100).map((e) => e.type)).toContain('tariff-changed');
  });

  it('may not start in the past or before the latest reading', () => {
    const now = local(2026, 11, 23);
    t.account({ id: 'acc' }, now);
    t.meter('m', 'acc', now);
    read('m', now + 3_600_000, 0);
    const refuse = (effectiveFrom: number) => {
      try {
        assignTariff(t.repos, { accountId: 'acc', tariffId: 'flat-2', effectiveFrom, actor: 'admin' }, now);
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        return (err as AppError).code;
      }
      return 'accepted';
    };
    expect(refuse(now - 1)).toBe('VALIDATION');
    expect(refuse(now + 3_600_000)).toBe('VALIDATION');
    expect(refuse(now + 3_600_001)).toBe('accepted');
    expect(t.repos.tariffs.assignments('acc')).toHaveLength(1);
  });

  it('an unknown tariff is refused at account creation', () => {
    expect(() => t.account({ id: 'x', tariffId: 'nope' })).toThrow(/nope/);
    expect(() => t.account({ id: 'y', tariffId: 'tou', pricePerKwh: '1' })).toThrow(/either/);
  });
});
