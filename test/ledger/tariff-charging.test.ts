// Consumption charging with tiered and time-of-use tariffs and tariff changes, on a real SQLite
// database: ladders reset with their period, a late reading across a period boundary moves its
// energy to its own period (the same charge as in time order), time-of-use by reading times or
// by the meter's own per-tariff registers, and a tariff change that never re-prices the past.
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
    read('m', local(2026, 12, 2), 1_270_000); //    December: 10 kWh × 0.5 = 5 yuan
    expect(balance('acc')).toBe(-27_500);
    expect(consumption('acc').map((e) => e.energyWh)).toEqual([80_000, 70_000, 110_000, 10_000]);
  });

  it('a late reading across the month boundary moves its energy to its own month', () => {
    // In time order: 90 kWh in November, 30 kWh in December.
    read('m', local(2026, 11, 1, 1), 0);
    read('m', local(2026, 12, 1, 1), 120_000); //   arrives first: all 120 kWh counted in December = 50 + 20 = 70 yuan
    expect(balance('acc')).toBe(-7000);
    const late = read('m', local(2026, 11, 30, 23), 90_000); // now: Nov 90 × 0.5 = 45, Dec 30 × 0.5 = 15
    expect(late).toMatchObject({ stored: true, chargedFen: -1000, balanceChanged: true });
    expect(balance('acc')).toBe(-6000);
    expect(consumption('acc').at(-1)).toMatchObject({ amountFen: 1000, energyWh: 0, reason: expect.stringContaining('late reading') });
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
  it('by the reading times: each step of consumption in the band of the later reading', () => {
    t.account({ id: 'acc', tariffId: 'tou' });
    t.meter('m', 'acc');
    read('m', local(2026, 11, 23, 6), 0);
    read('m', local(2026, 11, 23, 7), 4000); //    06:00→07:00 reading at 07:00 = flat: 4 kWh × 0.5 = 2 yuan
    read('m', local(2026, 11, 23, 9), 10_000); //  peak: 6 kWh × 1 = 6 yuan
    read('m', local(2026, 11, 24, 2), 30_000); //  valley: 20 kWh × 0.25 = 5 yuan
    expect(balance('acc')).toBe(-1300);
  });

  it('by the meter registers when it has them, whatever the reading times', () => {
    t.account({ id: 'acc', tariffId: 'tou' });
    t.meter('m', 'acc');
    const at = local(2026, 11, 23, 12); // a peak time: the registers decide, not the clock
    read('m', at, 100_000, { peakWh: 40_000, flatWh: 30_000, valleyWh: 30_000 });
    read('m', at + 3_600_000, 112_000, { peakWh: 42_000, flatWh: 30_000, valleyWh: 40_000 }); // 2 kWh peak, 10 kWh valley
    expect(balance('acc')).toBe(-(200 + 250));
    read('m', at + 7_200_000, 113_000); // a reading without registers changes nothing for this meter
    expect(balance('acc')).toBe(-450);
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
    read('m', local(2026, 11, 24, 12), 20_000); // the reading after the change: 5 kWh × 2
    expect(balance('acc')).toBe(-2500);
    read('m', local(2026, 11, 23, 23), 17_000); // late, before the change: moves 2 kWh back to the old price
    expect(balance('acc')).toBe(-2300);
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
