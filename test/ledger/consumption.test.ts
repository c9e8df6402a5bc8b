// Readings into consumption charges on a real SQLite database (docs/design.md "Money and energy"): the
// first reading sets the charging base, duplicates are stored and charged once, late readings are
// never charged twice, a register going backwards raises an event and charges nothing.
// Prices are 1 yuan/kWh unless said otherwise, so 10 Wh cost exactly 1 fen.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { recordReading, type ReadingResult } from '../../src/ledger/consumption.js';
import { postPayment } from '../../src/ledger/payments.js';
import { createRepositories } from '../../src/db/repo/index.js';
import { countStatements } from '../helpers/statements.js';

const T0 = Date.UTC(2026, 10, 23, 0, 0);
const MIN15 = 15 * 60_000;

let t: TestDb;
beforeEach(() => {
  t = openTestDb();
  t.account({ id: 'acc-1', pricePerKwh: '1' });
  t.meter('m-1', 'acc-1');
  postPayment(t.repos, { accountId: 'acc-1', channel: 'counter', channelTxnId: 'c-1', amountFen: 10_000, paidAt: T0, actor: 'billing' }, T0);
});
afterEach(() => t.cleanup());

/** Records a reading at `T0 + slot × 15 min` in its own transaction. */
function read(slot: number, energyWh: number, meterId = 'm-1'): ReadingResult {
  return t.repos.transaction(() => recordReading(t.repos, { meterId, ts: T0 + slot * MIN15, energyWh }, T0 + slot * MIN15));
}
const balance = () => t.repos.accounts.get('acc-1')!.balanceFen;
const consumption = () => t.repos.ledger.entries('acc-1', 0, 1000).filter((e) => e.kind === 'consumption');
const events = (type: string) => t.repos.journal.events(0, 'acc-1', 100).filter((e) => e.type === type);

describe('recordReading', () => {
  it('the first reading sets the charging base and charges nothing', () => {
    expect(read(0, 50_000)).toEqual({ stored: true, chargedFen: 0, accountId: 'acc-1', balanceChanged: false, backwards: false, split: false });
    expect(t.repos.meters.get('m-1')).toMatchObject({ chargeBaseWh: 50_000, chargedEnergyWh: 50_000, lastEnergyWh: 50_000 });
    expect(balance()).toBe(10_000);
  });

  it('charges the energy between readings', () => {
    read(0, 50_000);
    expect(read(1, 51_000)).toMatchObject({ stored: true, chargedFen: 100, balanceChanged: true }); // 1 kWh × 1 yuan
    expect(balance()).toBe(9_900);
    expect(consumption()).toEqual([
      expect.objectContaining({ amountFen: -100, balanceAfterFen: 9_900, meterId: 'm-1', energyWh: 1000, actor: 'meter' }),
    ]);
  });

  it('a register that does not move charges nothing', () => {
    read(0, 50_000);
    expect(read(1, 50_000)).toMatchObject({ stored: true, chargedFen: 0, balanceChanged: false });
    expect(consumption()).toEqual([]);
  });

  it('stores and charges a duplicate reading once', () => {
    read(0, 50_000);
    read(1, 51_000);
    expect(read(1, 51_000)).toMatchObject({ stored: false, chargedFen: 0 });
    expect(read(1, 51_000)).toMatchObject({ stored: false, chargedFen: 0 });
    expect(t.repos.meters.readings('m-1', 0, Number.MAX_SAFE_INTEGER, 100)).toHaveLength(2);
    expect(balance()).toBe(9_900);
  });

  it('a second reading for the same time with another value is not stored and charges nothing', () => {
    read(0, 50_000);
    read(1, 51_000);
    expect(read(1, 53_000)).toMatchObject({ stored: false, chargedFen: 0 });
    expect(balance()).toBe(9_900);
  });

  it('a late reading between two charged ones charges nothing extra', () => {
    read(0, 50_000);
    read(2, 52_000);
    expect(read(1, 51_000)).toMatchObject({ stored: true, chargedFen: 0, backwards: false });
    expect(read(3, 53_000).chargedFen).toBe(100);
    expect(balance()).toBe(10_000 - 300);
  });

  it('out-of-order readings charge the same as in order', () => {
    read(0, 50_000);
    read(3, 53_000);
    read(1, 51_000);
    read(2, 52_000);
    expect(balance()).toBe(10_000 - 300);
    expect(consumption().reduce((sum, e) => sum + (e.energyWh ?? 0), 0)).toBe(3_000);
  });

  it('a register that goes backwards raises register-backwards and charges nothing', () => {
    read(0, 50_000);
    read(1, 51_000);
    const r = read(2, 40_000); // meter replaced or reset
    expect(r).toMatchObject({ stored: true, backwards: true, chargedFen: 0, balanceChanged: false });
    expect(balance()).toBe(9_900);
    const [event] = events('register-backwards');
    expect(event).toMatchObject({ meterId: 'm-1', createdAt: T0 + 2 * MIN15 });
    expect(JSON.parse(event!.data)).toMatchObject({ energyWh: 40_000, previous: { ts: T0 + MIN15, energyWh: 51_000 }, next: null });
  });

  it('a late reading higher than a later one is backwards too', () => {
    read(0, 50_000);
    read(2, 52_000);
    expect(read(1, 60_000)).toMatchObject({ backwards: true, chargedFen: 0 });
    expect(events('register-backwards')).toHaveLength(1);
    expect(balance()).toBe(10_000 - 200);
  });

  it('no rounding drift over many small readings at a price finer than a fen', () => {
    t.account({ id: 'acc-2', pricePerKwh: '0.5283' });
    t.meter('m-2', 'acc-2');
    for (let slot = 0; slot <= 100; slot++) read(slot, 1_000_000 + 7 * slot, 'm-2');
    // 700 Wh × 0.5283 yuan/kWh = 36.981 fen → 37, although each 7 Wh step alone is 0.37 fen
    expect(t.repos.accounts.get('acc-2')!.balanceFen).toBe(-37);
    expect(t.repos.ledger.invariantViolations()).toEqual([]);
  });

  it("looks up a reading's neighbours only when it is neither the meter's first nor after its latest", () => {
    const counted = countStatements(t.db);
    const repos = createRepositories(counted.db);
    const at = (slot: number, energyWh: number) =>
      repos.transaction(() => recordReading(repos, { meterId: 'm-1', ts: T0 + slot * MIN15, energyWh }, T0 + slot * MIN15));
    const lookups = () => counted.executions(/energy_wh AS "energyWh" FROM readings WHERE meter_id = \? AND ts [<>] \?/);
    at(0, 50_000);
    at(2, 52_000);
    expect(lookups()).toBe(0);
    expect(at(1, 51_000)).toMatchObject({ stored: true, chargedFen: 0 }); // late: between two stored readings
    expect(lookups()).toBe(2);
    expect(balance()).toBe(10_000 - 200);
  });

  it('refuses unknown meters and impossible register values', () => {
    expect(() => read(0, 1, 'no-such-meter')).toThrow(/no-such-meter/);
    expect(() => read(0, -1)).toThrow(RangeError);
    expect(() => read(0, 1.5)).toThrow(RangeError);
    expect(t.repos.meters.readings('m-1', 0, Number.MAX_SAFE_INTEGER, 100)).toEqual([]);
  });

  it('a reading older than the first one processed is charged from the earliest reading', () => {
    // Three readings 1 kWh apart arrive middle first (a concentrator flushing its backlog out of order).
    // Whatever the order, the account pays for 50 000 → 52 000 Wh, as when they arrive in time order.
    read(1, 51_000);
    read(0, 50_000);
    read(2, 52_000);
    expect(balance()).toBe(10_000 - 200);
  });
});
