// "Any order and any duplication of the same readings and payments gives the same balance" for
// tariffs whose charge depends on when energy was used: a monthly ladder and time-of-use (by the
// reading times and by per-tariff registers), with readings spanning several months. The expected
// balance is an independent computation of the attribution rule (docs/charging.md) over the final
// set of readings: the register interpolated at every month start and, for time-of-use by time,
// at every whole hour (the test tariff's band edges are whole hours), each month's ladder tiers or
// bands charged on their energy and rounded once. The ledger invariants hold after every
// operation, and the ledger's energy is the metered energy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { recordReading } from '../../src/ledger/consumption.js';
import { recordReadings } from '../../src/ledger/reading-groups.js';
import { postPayment } from '../../src/ledger/payments.js';
import { defineTariff } from '../../src/ledger/tariffs.js';
import { TOU_BANDS, type Tariff, type TouBand } from '../../src/domain/tariff.js';

const UTC8 = 480;
const T0 = Date.UTC(2026, 9, 28) - UTC8 * 60_000; // 28 October, local midnight: the readings cross month ends

const TARIFFS: Record<string, Tariff> = {
  ladder: { kind: 'tiered', period: 'month', steps: [{ upToKwh: 5, pricePerKwh: '0.4883' }, { upToKwh: 20, pricePerKwh: '0.5383' }, { pricePerKwh: '0.7883' }] },
  tou: {
    kind: 'tou', prices: { critical: '1.3', peak: '0.8595', flat: '0.5283', valley: '0.2483' },
    bands: [{ band: 'valley', from: '23:00', to: '07:00' }, { band: 'peak', from: '08:00', to: '11:00' }, { band: 'critical', from: '19:00', to: '21:00' }],
  },
};

interface Reading { ts: number; energyWh: number; tou?: Record<`${TouBand}Wh`, number> }
type Op = { kind: 'reading'; reading: Reading } | { kind: 'payment'; txn: string; amountFen: number };
interface Case { tariffId: 'ladder' | 'tou'; registers: boolean; readings: Reading[]; payments: Array<{ txn: string; amountFen: number }> }

const aCase: fc.Arbitrary<Case> = fc.record({
  tariffId: fc.constantFrom('ladder' as const, 'tou' as const),
  registers: fc.boolean(),
  start: fc.integer({ min: 0, max: 10_000_000 }),
  steps: fc.array(fc.record({
    gapMs: fc.integer({ min: 60_000, max: 9 * 86_400_000 }),
    bands: fc.tuple(...TOU_BANDS.map(() => fc.integer({ min: 0, max: 4_000 }))),
  }), { minLength: 1, maxLength: 10 }),
  amounts: fc.array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 3 }),
}).map(({ tariffId, registers, start, steps, amounts }) => {
  let ts = T0;
  const tou = { criticalWh: start, peakWh: start, flatWh: start, valleyWh: start };
  const readings: Reading[] = [{ ts, energyWh: 4 * start, ...(registers ? { tou: { ...tou } } : {}) }];
  for (const s of steps) {
    ts += s.gapMs;
    TOU_BANDS.forEach((band, i) => { tou[`${band}Wh`] += s.bands[i]!; });
    const energyWh = tou.criticalWh + tou.peakWh + tou.flatWh + tou.valleyWh;
    readings.push({ ts, energyWh, ...(registers ? { tou: { ...tou } } : {}) });
  }
  return { tariffId, registers: registers && tariffId === 'tou', readings, payments: amounts.map((amountFen, i) => ({ txn: `p-${i}`, amountFen })) };
});

const HOUR = 3_600_000;
const localParts = (t: number) => new Date(t + UTC8 * 60_000);
/** Local midnight starting the month of `t`, and the next one. */
function monthOf(t: number): [number, number] {
  const d = localParts(t);
  return [Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - UTC8 * 60_000, Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - UTC8 * 60_000];
}
/** The test tariff's band of a local hour: valley 23–07, peak 08–11, critical 19–21, else flat. */
function bandOfHour(t: number): TouBand {
  const h = localParts(t).getUTCHours();
  if (h >= 23 || h < 7) return 'valley';
  if (h >= 8 && h < 11) return 'peak';
  if (h >= 19 && h < 21) return 'critical';
  return 'flat';
}
/** fen for Wh at a decimal price, rounded half up (independent of src/domain/money.ts). */
function fenOf(wh: number, price: string): number {
  const [whole, frac = ''] = price.split('.');
  const num = BigInt(wh) * BigInt(`${whole}${frac}`);
  const den = 10n * 10n ** BigInt(frac.length);
  return Number((2n * num + den) / (2n * den));
}
/** A register's value at t: at a reading its value, between two the straight line rounded half up, before the first and after the last those. */
function registerAt(points: Array<{ ts: number; wh: number }>, t: number): number {
  if (t <= points[0]!.ts) return points[0]!.wh;
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1]!, points[i]!];
    if (t < b.ts) {
      const span = BigInt(b.ts - a.ts);
      return a.wh + Number((2n * BigInt(b.wh - a.wh) * BigInt(t - a.ts) + span) / (2n * span));
    }
  }
  return points.at(-1)!.wh;
}

/** The charge of the final set of readings under the attribution rule, computed independently. */
function expectedChargeFen(c: Case): number {
  const readings = [...c.readings].sort((a, b) => a.ts - b.ts);
  const total = readings.map((r) => ({ ts: r.ts, wh: r.energyWh }));
  const first = readings[0]!.ts;
  const last = readings.at(-1)!.ts;
  let fen = 0;
  for (let [start, end] = monthOf(first); start <= last; [start, end] = monthOf(end)) {
    if (c.tariffId === 'ladder') {
      const energy = registerAt(total, end) - registerAt(total, start);
      const tiers: Array<[number, string]> = [[5000, '0.4883'], [20_000, '0.5383'], [Infinity, '0.7883']];
      let from = 0;
      for (const [upTo, price] of tiers) {
        fen += fenOf(Math.max(0, Math.min(energy, upTo) - from), price);
        from = upTo;
      }
      continue;
    }
    const prices = { critical: '1.3', peak: '0.8595', flat: '0.5283', valley: '0.2483' } as const;
    const bandWh: Record<TouBand, number> = { critical: 0, peak: 0, flat: 0, valley: 0 };
    if (c.registers) {
      let left = registerAt(total, end) - registerAt(total, start);
      for (const band of ['critical', 'peak', 'valley'] as const) {
        const reg = readings.map((r) => ({ ts: r.ts, wh: r.tou![`${band}Wh`] }));
        bandWh[band] = Math.min(left, registerAt(reg, end) - registerAt(reg, start));
        left -= bandWh[band];
      }
      bandWh.flat = left;
    } else {
      for (let h = start; h < end; h += HOUR) bandWh[bandOfHour(h)] += registerAt(total, h + HOUR) - registerAt(total, h);
    }
    for (const band of TOU_BANDS) fen += fenOf(bandWh[band], prices[band]);
  }
  return fen;
}

/** The ledger's energy is the metered energy, and every entry's breakdown adds up to it. */
function expectLedgerEnergy(accountId: string, c: Case): void {
  const entries = t.repos.ledger.consumptionEntries(accountId);
  const sorted = [...c.readings].sort((a, b) => a.ts - b.ts);
  expect(entries.reduce((s, e) => s + e.energyWh!, 0)).toBe(sorted.at(-1)!.energyWh - sorted[0]!.energyWh);
  for (const e of entries) {
    const parts = JSON.parse(e.breakdown!) as Array<{ energyWh: number; amountFen: number }>;
    expect(parts.reduce((s, p) => s + p.energyWh, 0)).toBe(e.energyWh);
    expect(parts.reduce((s, p) => s + p.amountFen, 0)).toBe(e.amountFen);
  }
}

const caseWithDeliveries = fc.tuple(aCase, fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 14 }), fc.array(fc.nat(1000), { minLength: 45, maxLength: 45 }))
  .map(([c, copies, keys]) => {
    const ops: Op[] = [
      ...c.readings.map((reading): Op => ({ kind: 'reading', reading })),
      ...c.payments.map((p): Op => ({ kind: 'payment', ...p })),
    ];
    const deliveries = ops.flatMap((op, i) => Array.from({ length: 1 + copies[i % copies.length]! }, () => op))
      .map((op, i) => ({ op, key: keys[i % keys.length]! + i / 1000 }))
      .sort((a, b) => a.key - b.key)
      .map((d) => d.op);
    return { c, deliveries };
  });

let t: TestDb;
let run = 0;
beforeAll(() => {
  t = openTestDb();
  for (const [id, tariff] of Object.entries(TARIFFS)) defineTariff(t.repos, id, id, tariff, 'test', 0);
});
afterAll(() => t.cleanup());

describe('charging does not depend on the order readings arrive in', () => {
  it('any order and duplication of readings and payments gives the one-pass balance (ladder, time-of-use)', () => {
    fc.assert(fc.property(caseWithDeliveries, ({ c, deliveries }) => {
      const accountId = `acc-${++run}`;
      t.account({ id: accountId, tariffId: c.tariffId });
      const meter = t.meter(`m-${run}`, accountId);
      for (const op of deliveries) {
        if (op.kind === 'payment') {
          postPayment(t.repos, { accountId, channel: 'bank', channelTxnId: `${accountId}/${op.txn}`, amountFen: op.amountFen, paidAt: T0, actor: 'bank' }, T0);
        } else {
          const { ts, energyWh, tou } = op.reading;
          t.repos.transaction(() => recordReading(t.repos, { meterId: meter.id, ts, energyWh, tou }, ts, UTC8));
        }
        expect(t.repos.ledger.checkAll().violations).toEqual([]);
      }
      const paid = c.payments.reduce((s, p) => s + p.amountFen, 0);
      expect(t.repos.accounts.get(accountId)!.balanceFen).toBe(paid - expectedChargeFen(c));
      expectLedgerEnergy(accountId, c);
    }), { numRuns: 60 });
  });
});

describe('readings of a meter charged together are charged what they are charged one by one', () => {
  it('any grouping of the deliveries gives the one-pass balance (ladder, time-of-use)', () => {
    const grouped = fc.tuple(caseWithDeliveries, fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }));
    fc.assert(fc.property(grouped, ([{ c, deliveries }, sizes]) => {
      const accountId = `acc-${++run}`;
      t.account({ id: accountId, tariffId: c.tariffId });
      const meter = t.meter(`m-${run}`, accountId);
      const paid = c.payments.reduce((s, p) => s + p.amountFen, 0);
      if (paid > 0) postPayment(t.repos, { accountId, channel: 'bank', channelTxnId: `${accountId}/all`, amountFen: paid, paidAt: T0, actor: 'bank' }, T0);
      const readings = deliveries.flatMap((op) => (op.kind === 'reading' ? [op.reading] : []));
      for (let i = 0, g = 0; i < readings.length; g++) {
        const group = readings.slice(i, i + sizes[g % sizes.length]!);
        i += group.length;
        const at = Math.max(...group.map((r) => r.ts));
        t.repos.transaction(() => recordReadings(t.repos, t.repos.meters.get(meter.id)!, group.map((r) => ({ meterId: meter.id, ...r })), at, UTC8));
        expect(t.repos.ledger.checkAll().violations).toEqual([]);
      }
      expect(t.repos.accounts.get(accountId)!.balanceFen).toBe(paid - expectedChargeFen(c));
      expectLedgerEnergy(accountId, c);
    }), { numRuns: 60 });
  });

  it('any grouping of readings in time order gives the one-pass balance, with one entry per group', () => {
    const inOrder = fc.tuple(aCase, fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }));
    fc.assert(fc.property(inOrder, ([c, sizes]) => {
      const accountId = `acc-${++run}`;
      t.account({ id: accountId, tariffId: c.tariffId });
      const meter = t.meter(`m-${run}`, accountId);
      // Without per-tariff registers, every group after the first reading (the charging base) is the usual one.
      const readings = c.readings.map(({ ts, energyWh }) => ({ meterId: meter.id, ts, energyWh }));
      t.repos.transaction(() => recordReadings(t.repos, t.repos.meters.get(meter.id)!, readings.slice(0, 1), readings[0]!.ts, UTC8));
      let groups = 0;
      for (let i = 1, g = 0; i < readings.length; g++) {
        const group = readings.slice(i, i + sizes[g % sizes.length]!);
        i += group.length;
        t.repos.transaction(() => recordReadings(t.repos, t.repos.meters.get(meter.id)!, group, group[group.length - 1]!.ts, UTC8));
        groups++;
      }
      const entries = t.repos.db.prepare(`SELECT COUNT(*) AS n FROM ledger_entries WHERE account_id = ? AND kind = 'consumption'`).get(accountId) as { n: number };
      expect(entries.n).toBeLessThanOrEqual(groups);
      const noRegisters: Case = { ...c, registers: false, readings: c.readings.map(({ ts, energyWh }) => ({ ts, energyWh })) };
      expect(t.repos.accounts.get(accountId)!.balanceFen).toBe(-expectedChargeFen(noRegisters));
      expectLedgerEnergy(accountId, noRegisters);
      expect(t.repos.meters.readings(meter.id, 0, Number.MAX_SAFE_INTEGER, 100).length).toBe(c.readings.length);
    }), { numRuns: 60 });
  });
});
