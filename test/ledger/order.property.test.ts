// "Any order and any duplication of the same readings and payments gives the same balance"
// (docs/design.md "Money and energy"), checked with fast-check on a real SQLite database.
// The expected balance is computed independently: the payments minus the charge on the energy
// between the earliest and the highest register value, at the account's price, rounded half up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { recordReading } from '../../src/ledger/consumption.js';
import { postPayment } from '../../src/ledger/payments.js';

const T0 = Date.UTC(2026, 10, 1, 0, 0);

function referenceChargeFen(wh: number, price: string): number {
  const [whole, frac = ''] = price.split('.');
  const num = BigInt(wh) * BigInt(`${whole}${frac}`);
  const den = 10n * 10n ** BigInt(frac.length);
  return Number((2n * num + den) / (2n * den));
}

interface Reading { ts: number; energyWh: number }
type Op = { kind: 'reading'; reading: Reading } | { kind: 'payment'; txn: string; amountFen: number };

interface Case {
  price: string;
  readings: Reading[]; // in time order, register monotone
  payments: Array<{ txn: string; amountFen: number }>;
}

const aCase: fc.Arbitrary<Case> = fc
  .record({
    price: fc.constantFrom('0.5283', '1', '0.48', '3.333333', '0.000001'),
    start: fc.integer({ min: 0, max: 100_000_000 }),
    steps: fc.array(fc.record({ gapMs: fc.integer({ min: 1, max: 3_600_000 }), wh: fc.integer({ min: 0, max: 20_000 }) }), {
      minLength: 1, maxLength: 8,
    }),
    amounts: fc.array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 4 }),
  })
  .map(({ price, start, steps, amounts }) => {
    let ts = T0;
    let energyWh = start;
    const readings = steps.map((s) => ({ ts: (ts += s.gapMs), energyWh: (energyWh += s.wh) }));
    return { price, readings, payments: amounts.map((amountFen, i) => ({ txn: `txn-${i}`, amountFen })) };
  });

/** Every reading and payment at least once, some up to three times. */
function opsOf(c: Case, copies: number[]): Op[] {
  const ops: Op[] = [
    ...c.readings.map((reading): Op => ({ kind: 'reading', reading })),
    ...c.payments.map((p): Op => ({ kind: 'payment', ...p })),
  ];
  return ops.flatMap((op, i) => Array.from({ length: 1 + (copies[i % copies.length] ?? 0) }, () => op));
}

/** Copies per delivery (0..2 extra) and a sort key per delivery: any order, any duplication. */
const MAX_DELIVERIES = 12 * 3;
const caseWithDeliveries = fc
  .tuple(
    aCase,
    fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 12 }),
    fc.array(fc.nat(1000), { minLength: MAX_DELIVERIES, maxLength: MAX_DELIVERIES }),
  )
  .map(([c, copies, keys]) => {
    const deliveries = opsOf(c, copies)
      .map((op, i) => ({ op, key: keys[i] ?? 0 }))
      .sort((a, b) => a.key - b.key)
      .map((d) => d.op);
    return { c, deliveries };
  });

function expectedBalance(c: Case): number {
  const paid = c.payments.reduce((sum, p) => sum + p.amountFen, 0);
  const energy = c.readings.at(-1)!.energyWh - c.readings[0]!.energyWh;
  return paid - referenceChargeFen(energy, c.price);
}

let t: TestDb;
let run = 0;
beforeAll(() => {
  t = openTestDb();
});
afterAll(() => t.cleanup());

/** Applies the deliveries to a fresh account and meter, one transaction each; returns the final balance. */
function apply(c: Case, deliveries: Op[]): { balanceFen: number; accountId: string } {
  const accountId = `acc-${++run}`;
  t.account({ id: accountId, pricePerKwh: c.price });
  const meter = t.meter(`m-${run}`, accountId);
  for (const op of deliveries) {
    if (op.kind === 'payment') {
      postPayment(t.repos, { accountId, channel: 'bank', channelTxnId: `${accountId}/${op.txn}`, amountFen: op.amountFen, paidAt: T0, actor: 'bank' }, T0);
    } else {
      t.repos.transaction(() => recordReading(t.repos, { meterId: meter.id, ...op.reading }, op.reading.ts));
    }
  }
  return { balanceFen: t.repos.accounts.get(accountId)!.balanceFen, accountId };
}

describe('balance is independent of delivery order and duplication', () => {
  it('readings in time order (with duplicates) and payments anywhere give the expected balance', () => {
    fc.assert(
      fc.property(aCase, fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 12 }), fc.nat(), (c, copies, seed) => {
        // Readings keep their time order; payments are spliced in at positions derived from the seed.
        const ops = opsOf(c, copies);
        const readings = ops.filter((o) => o.kind === 'reading');
        const payments = ops.filter((o) => o.kind === 'payment');
        const deliveries: Op[] = [...readings];
        payments.forEach((p, i) => deliveries.splice((seed + i * 7919) % (deliveries.length + 1), 0, p));
        const { balanceFen } = apply(c, deliveries);
        expect(balanceFen).toBe(expectedBalance(c));
      }),
      { numRuns: 60 },
    );
    expect(t.repos.ledger.invariantViolations()).toEqual([]);
  });

  it('any order and any duplication of the same readings and payments gives the same balance', () => {
    fc.assert(
      fc.property(caseWithDeliveries, ({ c, deliveries }) => {
        const { balanceFen } = apply(c, deliveries);
        expect(balanceFen).toBe(expectedBalance(c));
      }),
      { numRuns: 100 },
    );
    expect(t.repos.ledger.invariantViolations()).toEqual([]);
  });
});
