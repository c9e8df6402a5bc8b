// "Any order and any duplication of the same readings and payments gives the same balance" for
// tariffs whose charge depends on when energy was used: a monthly ladder and time-of-use (by the
// reading times and by per-tariff registers), with readings spanning several months. The expected
// balance is computed in one pass over the readings sorted by time: each step of consumption
// belongs to the segment (and band) of the later reading. The ledger invariants hold after every
// operation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { recordReading } from '../../src/ledger/consumption.js';
import { recordReadings } from '../../src/ledger/reading-groups.js';
import { postPayment } from '../../src/ledger/payments.js';
import { defineTariff } from '../../src/ledger/tariffs.js';
import { TOU_BANDS, noBandEnergy, segmentChargeFen, type SegmentEnergy, type Tariff, type TouBand } from '../../src/domain/tariff.js';
import { bandAt } from '../../src/domain/tariff-time.js';
import { scheduleOf, segmentAt } from '../../src/domain/tariff-schedule.js';

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

/** The charge in one pass over the readings in time order. */
function expectedChargeFen(c: Case): number {
  const schedule = scheduleOf({ tariffId: c.tariffId, tariff: TARIFFS[c.tariffId]! }, []);
  const segments = new Map<string, { tariff: Tariff; energy: SegmentEnergy }>();
  for (let i = 1; i < c.readings.length; i++) {
    const [a, b] = [c.readings[i - 1]!, c.readings[i]!];
    const seg = segmentAt(schedule, b.ts, UTC8);
    const entry = segments.get(seg.key) ?? { tariff: seg.tariff, energy: { totalWh: 0, priorWh: 0, bandWh: noBandEnergy() } };
    segments.set(seg.key, entry);
    const inc = b.energyWh - a.energyWh;
    entry.energy.totalWh += inc;
    if (seg.tariff.kind !== 'tou') continue;
    if (c.registers) for (const band of TOU_BANDS) entry.energy.bandWh[band] += b.tou![`${band}Wh`] - a.tou![`${band}Wh`];
    else entry.energy.bandWh[bandAt(seg.tariff, b.ts, UTC8)] += inc;
  }
  let fen = 0;
  for (const { tariff, energy } of segments.values()) fen += segmentChargeFen(tariff, energy);
  return fen;
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
      expect(t.repos.meters.readings(meter.id, 0, Number.MAX_SAFE_INTEGER, 100).length).toBe(c.readings.length);
    }), { numRuns: 60 });
  });
});
