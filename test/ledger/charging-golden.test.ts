// Golden charges, checked by hand to the fen (docs/charging.md "How a reading is charged"): a
// published annual ladder (2,160 / 3,120 kWh at 0.56 / 0.61 / 0.86 yuan, reset 1 January) and
// a published monthly ladder (200 / 450 kWh at 0.588 / 0.638 / 0.888 yuan), each with intervals
// that cross the reset, cross two tiers and span two months; time-of-use across 08:00 and 22:00
// with one register; per-band registers that disagree with the total; and a tariff change inside
// an interval. Each row's figure is worked out in its comment, every part rounded half up on its
// cumulative energy in its period.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { recordReading, type ChargePart, type TouRegisters } from '../../src/ledger/consumption.js';
import { assignTariff, defineTariff } from '../../src/ledger/tariffs.js';

const UTC8 = 480;
const local = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h, min) - UTC8 * 60_000;

let t: TestDb;
beforeEach(() => {
  t = openTestDb();
  defineTariff(t.repos, 'annual', 'annual ladder', {
    kind: 'tiered', period: 'year', resetMonth: 1, resetDay: 1,
    steps: [{ upToKwh: 2160, pricePerKwh: '0.56' }, { upToKwh: 3120, pricePerKwh: '0.61' }, { pricePerKwh: '0.86' }],
  }, 'test', 0);
  defineTariff(t.repos, 'monthly', 'monthly ladder', {
    kind: 'tiered', period: 'month', steps: [{ upToKwh: 200, pricePerKwh: '0.588' }, { upToKwh: 450, pricePerKwh: '0.638' }, { pricePerKwh: '0.888' }],
  }, 'test', 0);
  defineTariff(t.repos, 'tou', 'peak 08–22', {
    kind: 'tou', prices: { peak: '0.5683', flat: '0.5683', valley: '0.2883' },
    bands: [{ band: 'peak', from: '08:00', to: '22:00' }, { band: 'valley', from: '22:00', to: '08:00' }],
  }, 'test', 0);
  defineTariff(t.repos, 'tou-3', 'peak, flat, valley', {
    kind: 'tou', prices: { peak: '1', flat: '0.5', valley: '0.25' },
    bands: [{ band: 'valley', from: '23:00', to: '07:00' }, { band: 'peak', from: '08:00', to: '22:00' }],
  }, 'test', 0);
  defineTariff(t.repos, 'flat-0.52', 'flat 0.52', { kind: 'flat', pricePerKwh: '0.52' }, 'test', 0);
  defineTariff(t.repos, 'flat-0.62', 'flat 0.62', { kind: 'flat', pricePerKwh: '0.62' }, 'test', 0);
});
afterEach(() => t.cleanup());

type Row = [at: number, registerWh: number, entryFen: number, tou?: TouRegisters];

/** Records each row's reading in its order and checks the entry it wrote (0: none); returns the entries. */
function replay(meterId: string, accountId: string, rows: Row[]) {
  const entries = [];
  for (const [at, wh, fen, tou] of rows) {
    const before = t.repos.ledger.consumptionEntries(accountId).length;
    t.repos.transaction(() => recordReading(t.repos, { meterId, ts: at, energyWh: wh, tou }, at, UTC8));
    const written = t.repos.ledger.consumptionEntries(accountId).slice(before);
    expect({ at: new Date(at).toISOString(), fen: written.reduce((s, e) => s - e.amountFen, 0) }).toEqual({ at: new Date(at).toISOString(), fen });
    entries.push(...written);
  }
  expect(t.repos.ledger.invariantViolations()).toEqual([]);
  return entries;
}

const partsOf = (e: { breakdown: string | null }) => JSON.parse(e.breakdown!) as ChargePart[];
const brief = (p: ChargePart) => [p.tier ?? p.band, p.energyWh, -p.amountFen, p.basis];

describe('annual ladder 2,160 / 3,120 kWh at 0.56 / 0.61 / 0.86, reset 1 January', () => {
  it('charges each interval in its own ladder year, tier by tier', () => {
    t.account({ id: 'acc', tariffId: 'annual' });
    t.meter('m', 'acc');
    const entries = replay('m', 'acc', [
      [local(2025, 1, 1), 0, 0], //                      the charging base
      [local(2025, 3, 15), 500_000, 28_000], //          500 kWh × 0.56 = 280.00 yuan
      [local(2025, 5, 15), 800_000, 16_800], //          15 Mar → 15 May spans two months, one ladder year: 300 × 0.56 = 168.00
      [local(2025, 10, 15), 2_100_000, 72_800], //       1,300 × 0.56 = 728.00
      // crosses two tiers: 60 kWh × 0.56 + 960 × 0.61 + 80 × 0.86 = 33.60 + 585.60 + 68.80 = 688.00
      [local(2025, 12, 20), 3_200_000, 68_800],
      // the frozen reading at the reset holds 31 December's use: 11.69 kWh of tier 3 in 2025;
      // tier 3 of 2025 is now 91.69 kWh × 0.86 = 78.8534 yuan → 7,885 fen, of which 6,880 charged: 1,005
      [local(2026, 1, 1), 3_211_690, 1005],
      [local(2026, 1, 11), 3_311_690, 5600], //          100 kWh of tier 1 of 2026 × 0.56 = 56.00
      // 2026 now at 3,300 kWh: 2,060 × 0.56 + 960 × 0.61 + 180 × 0.86 = 1,153.60 + 585.60 + 154.80 = 1,894.00
      [local(2026, 12, 31, 12), 6_511_690, 189_400],
      // 31 Dec 12:00 → 1 Jan 07:00 (19 h, 19.99 kWh) crosses the reset, split by time: 12/19 → 12,625 Wh in 2026,
      // 7,365 Wh in 2027. 2026 tier 3: 192,625 Wh × 0.86 = 16,565.75 fen → 16,566, less 15,480 charged = 1,086;
      // 2027 tier 1: 7,365 Wh × 0.56 = 412.44 → 412. 1,086 + 412 = 1,498
      [local(2027, 1, 1, 7), 6_531_680, 1498],
      // late, the frozen reading at 1 Jan 00:00: 2026 gets exactly 12,310 Wh: tier 3 192,310 Wh × 0.86 = 16,538.66 → 16,539 (−27);
      // 2027 gets 7,680 Wh × 0.56 = 430.08 → 430 (+18): a refund of 9 fen
      [local(2027, 1, 1), 6_524_000, -9],
    ]);
    // The year totals, each tier rounded once: 2025 120,960 + 58,560 + 7,885; 2026 120,960 + 58,560 + 16,539; 2027 430
    expect(t.repos.accounts.get('acc')!.balanceFen).toBe(-(187_405 + 196_059 + 430));
    expect(partsOf(entries[3]!).map(brief)).toEqual([[1, 60_000, 3360, 'measured'], [2, 960_000, 58_560, 'measured'], [3, 80_000, 6880, 'measured']]);
    expect(partsOf(entries[4]!)).toEqual([{
      periodStart: local(2025, 1, 1), periodEnd: local(2026, 1, 1), tariffId: 'annual', tier: 3, pricePerKwh: '0.86', energyWh: 11_690, amountFen: -1005, basis: 'measured',
    }]);
    expect(partsOf(entries[7]!).map((p) => [p.periodStart, ...brief(p)])).toEqual([
      [local(2026, 1, 1), 3, 12_625, 1086, 'estimated'], [local(2027, 1, 1), 1, 7365, 412, 'estimated'],
    ]);
    expect(entries[8]).toMatchObject({ energyWh: 0, amountFen: 9, intervalFrom: local(2026, 12, 31, 12), intervalTo: local(2027, 1, 1, 7), reason: expect.stringContaining('late reading') });
    expect(partsOf(entries[8]!).map(brief)).toEqual([[3, -315, -27, 'measured'], [1, 315, 18, 'measured']]);
    expect(entries.reduce((s, e) => s + e.energyWh!, 0)).toBe(6_531_680);
  });
});

describe('monthly ladder 200 / 450 kWh at 0.588 / 0.638 / 0.888', () => {
  it('charges each interval in its own month, tier by tier', () => {
    t.account({ id: 'acc', tariffId: 'monthly' });
    t.meter('m', 'acc');
    const entries = replay('m', 'acc', [
      [local(2026, 3, 1), 10_000_000, 0], //             the charging base
      [local(2026, 3, 20), 10_180_000, 10_584], //       180 kWh × 0.588 = 105.84
      // crosses two tiers: 20 × 0.588 + 250 × 0.638 + 30 × 0.888 = 11.76 + 159.50 + 26.64 = 197.90
      [local(2026, 3, 28), 10_480_000, 19_790],
      [local(2026, 4, 1), 10_530_000, 4440], //          the frozen reading at the reset: 50 kWh of March's tier 3 × 0.888 = 44.40
      // 1 Apr → 15 May (44 days, 441 kWh) spans two months, split by time at 1 May: 30/44 → 300,682 Wh in April
      // (200 × 0.588 = 117.60; 100,682 Wh × 0.638 = 64.235 → 64.24), 140,318 Wh in May × 0.588 = 82.507 → 82.51
      [local(2026, 5, 15), 10_971_000, 11_760 + 6424 + 8251],
      // 350 kWh: May at 490.318 kWh: tier 1 to 11,760 (+3,509), tier 2 250 × 0.638 = 159.50, tier 3 40,318 Wh × 0.888 = 35.80
      [local(2026, 5, 31, 12), 11_321_000, 3509 + 15_950 + 3580],
      // 31 May 12:00 → 1 Jun 12:00 (24 kWh) crosses the reset: 12 kWh in May, tier 3 at 52,318 Wh × 0.888 = 46.458 → 46.46 (+1,066);
      // 12 kWh in June × 0.588 = 7.056 → 7.06
      [local(2026, 6, 1, 12), 11_345_000, 1066 + 706],
    ]);
    // Per month, each tier rounded once: March 11,760 + 15,950 + 7,104; April 11,760 + 6,424; May 11,760 + 15,950 + 4,646; June 706
    expect(t.repos.accounts.get('acc')!.balanceFen).toBe(-(34_814 + 18_184 + 32_356 + 706));
    expect(partsOf(entries[3]!).map((p) => [p.periodStart, ...brief(p)])).toEqual([
      [local(2026, 4, 1), 1, 200_000, 11_760, 'estimated'], [local(2026, 4, 1), 2, 100_682, 6424, 'estimated'], [local(2026, 5, 1), 1, 140_318, 8251, 'estimated'],
    ]);
    expect(partsOf(entries[2]!).map(brief)).toEqual([[3, 50_000, 4440, 'measured']]);
    expect(entries.reduce((s, e) => s + e.energyWh!, 0)).toBe(1_345_000);
  });
});

describe('time-of-use with one register: peak 08:00–22:00 at 0.5683, valley at 0.2883', () => {
  it('an interval inside a band is measured; one across 08:00 or 22:00 is split by time', () => {
    t.account({ id: 'acc', tariffId: 'tou' });
    t.meter('m', 'acc');
    // Each band charged on its cumulative energy in the month, rounded once; an entry is the change.
    const entries = replay('m', 'acc', [
      [local(2026, 11, 23, 7), 0, 0],
      [local(2026, 11, 23, 8), 1000, 29], //             07:00–08:00 valley: 1 kWh × 28.83 fen = 28.83 → 29
      [local(2026, 11, 23, 8, 30), 1600, 34], //         peak 0.6 kWh × 56.83 = 34.098 → 34
      [local(2026, 11, 23, 21), 9000, 421], //           peak 8 kWh: 454.64 → 455 (+421)
      [local(2026, 11, 23, 22), 10_200, 68], //          21:00–22:00 is peak: 9.2 kWh 522.836 → 523 (+68)
      [local(2026, 11, 23, 22, 15), 10_500, 8], //       valley 1.3 kWh: 37.479 → 37 (+8)
      [local(2026, 11, 24, 7, 30), 17_750, 209], //      valley 8.55 kWh: 246.4965 → 246 (+209)
      // 07:30 → 08:30 across 08:00: 1 kWh valley (9.55 kWh: 275.3265 → 275, +29), 1 kWh peak (10.2 kWh: 579.666 → 580, +57)
      [local(2026, 11, 24, 8, 30), 19_750, 86],
      [local(2026, 11, 24, 21, 45), 29_750, 568], //     peak 20.2 kWh: 1,147.966 → 1,148 (+568)
      // 21:45 → 22:15 across 22:00: 450 Wh peak (20.65 kWh: 1,173.5395 → 1,174, +26), 450 Wh valley (10 kWh: 288.3 → 288, +13)
      [local(2026, 11, 24, 22, 15), 30_650, 39],
    ]);
    expect(t.repos.accounts.get('acc')!.balanceFen).toBe(-(288 + 1174));
    expect(partsOf(entries[3]!).map(brief)).toEqual([['peak', 1200, 68, 'measured']]);
    expect(partsOf(entries[6]!).map(brief)).toEqual([['peak', 1000, 57, 'estimated'], ['valley', 1000, 29, 'estimated']]);
    expect(partsOf(entries[8]!).map(brief)).toEqual([['peak', 450, 26, 'estimated'], ['valley', 450, 13, 'estimated']]);
    expect(partsOf(entries[0]!).map(brief)).toEqual([['valley', 1000, 29, 'measured']]);
  });
});

describe('per-band registers beside the total register', () => {
  it('that disagree beyond the tolerance raise register-mismatch, shown on the meter; the total is charged', () => {
    t.account({ id: 'acc', tariffId: 'tou-3' });
    t.meter('m', 'acc');
    const at = local(2026, 11, 23, 12);
    replay('m', 'acc', [
      [at, 100_000, 0, { peakWh: 40_000, flatWh: 30_000, valleyWh: 30_000 }],
      // bands agree (2 + 0 + 10 kWh = 12): peak 2 kWh × 1 + valley 10 kWh × 0.25 = 4.50 yuan
      [at + 3_600_000, 112_000, 450, { peakWh: 42_000, flatWh: 30_000, valleyWh: 40_000 }],
      // bands rise 3 + 0 + 2 = 5 kWh beside a total that rose 10 kWh: the total is charged, peak and valley by their
      // registers (3 × 1 + 2 × 0.25 = 3.50 yuan), flat the rest: 5 kWh × 0.5 = 2.50 yuan
      [at + 7_200_000, 122_000, 600, { peakWh: 45_000, flatWh: 30_000, valleyWh: 42_000 }],
    ]);
    const events = t.repos.journal.events(0, 'acc', 100).filter((e) => e.type === 'register-mismatch');
    expect(events).toHaveLength(1);
    // tolerance: 50 Wh + 0.5 % of 10,000 Wh = 100 Wh
    expect(JSON.parse(events[0]!.data)).toEqual({ from: at + 3_600_000, to: at + 7_200_000, totalWh: 10_000, bandsWh: 5000, differenceWh: -5000, toleranceWh: 100 });
    expect(JSON.parse(t.repos.meters.get('m')!.registerMismatch!)).toMatchObject({ to: at + 7_200_000, differenceWh: -5000 });
    const last = t.repos.ledger.consumptionEntries('acc').at(-1)!;
    expect(last.energyWh).toBe(10_000);
    expect(partsOf(last).map(brief)).toEqual([['peak', 3000, 300, 'measured'], ['flat', 5000, 250, 'measured'], ['valley', 2000, 50, 'measured']]);
  });

  it('within the tolerance raise nothing', () => {
    t.account({ id: 'acc', tariffId: 'tou-3' });
    t.meter('m', 'acc');
    const at = local(2026, 11, 23, 12);
    replay('m', 'acc', [
      [at, 100_000, 0, { peakWh: 40_000, flatWh: 30_000, valleyWh: 30_000 }],
      // the bands' 0.01 kWh registers lag the total by 60 Wh (tolerance 50 + 0.5 % of 12,060 = 111 Wh): peak 2 kWh, valley 10 kWh,
      // flat the rest 60 Wh × 0.5 = 3 fen
      [at + 3_600_000, 112_060, 453, { peakWh: 42_000, flatWh: 30_000, valleyWh: 40_000 }],
    ]);
    expect(t.repos.journal.events(0, 'acc', 100).filter((e) => e.type === 'register-mismatch')).toEqual([]);
    expect(t.repos.meters.get('m')!.registerMismatch).toBeNull();
  });
});

describe('a tariff change inside a reading interval', () => {
  it('splits the interval at the change by time, each part at its own price', () => {
    const day = local(2026, 11, 22);
    t.account({ id: 'acc', tariffId: 'flat-0.52' }, day);
    t.meter('m', 'acc', day);
    t.repos.transaction(() => recordReading(t.repos, { meterId: 'm', ts: day, energyWh: 0 }, day, UTC8));
    assignTariff(t.repos, { accountId: 'acc', tariffId: 'flat-0.62', effectiveFrom: day + 8 * 3_600_000, actor: 'admin' }, day + 1000);
    // 00:00 → 24:00, 50 kWh; the change at 08:00: 8/24 → 16,667 Wh × 0.52 = 8.667 yuan → 867 fen; 33,333 Wh × 0.62 = 20.666 → 2,067
    const entries = replay('m', 'acc', [[day + 86_400_000, 50_000, 867 + 2067]]);
    expect(partsOf(entries[0]!)).toEqual([
      { periodStart: local(2026, 11, 1), periodEnd: day + 8 * 3_600_000, tariffId: 'flat-0.52', pricePerKwh: '0.52', energyWh: 16_667, amountFen: -867, basis: 'estimated' },
      { periodStart: day + 8 * 3_600_000, periodEnd: local(2026, 12, 1), tariffId: 'flat-0.62', pricePerKwh: '0.62', energyWh: 33_333, amountFen: -2067, basis: 'estimated' },
    ]);
    expect(entries[0]).toMatchObject({ intervalFrom: day, intervalTo: day + 86_400_000, energyWh: 50_000 });
  });
});
