// Group commit of payments: everything submitted in one tick is posted in one transaction and
// each caller is answered after it commits; a failing payment (unknown account, a resend with
// another amount, an impossible amount) is refused alone while the rest of its group commits;
// fifty copies of one payment in a group credit it once. On a real database, and through
// the HTTP API with a mix of good and bad payments sent at once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { testDatabaseConfig, testDialect } from '../helpers/database.js';
import { connectPostgresSync } from '../../src/db/pg/sync.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { PaymentBatcher } from '../../src/ledger/group-commit.js';
import { postPayment, type PaymentInput } from '../../src/ledger/payments.js';
import { checkLedger } from '../../src/ledger/check.js';

const T0 = Date.UTC(2026, 10, 23, 2, 0);
const pay = (over: Partial<PaymentInput> = {}): PaymentInput => ({
  accountId: 'acc-1', channel: 'bank', channelTxnId: 'b-1', amountFen: 1000, paidAt: T0, actor: 'bank', ...over,
});

describe('PaymentBatcher', () => {
  let t: TestDb;
  let batcher: PaymentBatcher;
  let groups: number[];
  beforeEach(() => {
    t = openTestDb();
    t.account({ id: 'acc-1' });
    t.account({ id: 'acc-2' });
    batcher = new PaymentBatcher(t.repos, { enabled: true, maxItems: 1000 });
    groups = [];
    batcher.onCommit = (size) => groups.push(size);
  });
  afterEach(() => t.cleanup());

  it('posts the payments of one tick in one transaction, answering each after the commit', async () => {
    const submitted = Array.from({ length: 40 }, (_, i) => batcher.submit(pay({ accountId: i % 2 ? 'acc-1' : 'acc-2', channelTxnId: `b-${i}`, amountFen: 100 + i }), T0));
    // Nothing is committed before the tick ends: another connection sees no payment yet.
    const other = testDialect === 'postgres' ? connectPostgresSync(testDatabaseConfig(t.dir).url!) : new Database(join(t.dir, 'feikong.db'), { readonly: true });
    const count = () => other.prepare('SELECT COUNT(*) FROM payments').pluck().get() as number;
    expect(count()).toBe(0);
    const posted = await Promise.all(submitted);
    expect(count()).toBe(40); // acknowledged means committed
    other.close();
    expect(groups).toEqual([40]);
    expect(posted.every((p) => p.created)).toBe(true);
    expect(t.repos.accounts.get('acc-1')!.balanceFen + t.repos.accounts.get('acc-2')!.balanceFen).toBe(40 * 100 + (39 * 40) / 2);
  });

  it('refuses a failing payment alone; the rest of its group commits', async () => {
    await batcher.submit(pay({ channelTxnId: 'earlier', amountFen: 500 }), T0);
    const outcomes = await Promise.allSettled([
      batcher.submit(pay({ channelTxnId: 'good-1' }), T0),
      batcher.submit(pay({ channelTxnId: 'unknown', accountId: 'nobody' }), T0),
      batcher.submit(pay({ channelTxnId: 'earlier', amountFen: 501 }), T0), // resend with another amount
      batcher.submit(pay({ channelTxnId: 'zero', amountFen: 0 }), T0),
      batcher.submit(pay({ channelTxnId: 'good-2', accountId: 'acc-2' }), T0),
      batcher.submit(pay({ channelTxnId: 'earlier', amountFen: 500 }), T0), // a plain repeat
    ]);
    const codes = outcomes.map((o) => (o.status === 'fulfilled' ? (o.value.created ? 'posted' : 'repeat') : (o.reason as { code: string }).code));
    expect(codes).toEqual(['posted', 'ACCOUNT_NOT_FOUND', 'LEDGER_DUPLICATE_MISMATCH', 'VALIDATION', 'posted', 'repeat']);
    expect(groups).toEqual([1, 5]); // the invalid amount never reached the database
    expect(t.repos.accounts.get('acc-1')!.balanceFen).toBe(1500);
    expect(t.repos.accounts.get('acc-2')!.balanceFen).toBe(1000);
    expect(t.repos.ledger.paymentByChannelTxn('bank', 'unknown')).toBeUndefined();
    expect(checkLedger(t.repos, T0).ok).toBe(true);
  });

  it('a payment failing half-way through writing is rolled back alone; the rest of its group commits', async () => {
    // A real write failure after the payment row is written: the ledger entry insert aborts.
    t.db.exec(testDialect === 'postgres'
      ? `CREATE FUNCTION fail_666() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk trouble'; END $$;
        CREATE TRIGGER fail_666 BEFORE INSERT ON ledger_entries FOR EACH ROW WHEN (NEW.amount_fen = 666) EXECUTE FUNCTION fail_666()`
      : `CREATE TEMP TRIGGER fail_666 BEFORE INSERT ON ledger_entries WHEN NEW.amount_fen = 666
      BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`);
    const outcomes = await Promise.allSettled([
      batcher.submit(pay({ channelTxnId: 'a' }), T0),
      batcher.submit(pay({ channelTxnId: 'bad', amountFen: 666 }), T0),
      batcher.submit(pay({ channelTxnId: 'c', accountId: 'acc-2' }), T0),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain('disk trouble');
    expect(t.repos.ledger.paymentByChannelTxn('bank', 'bad')).toBeUndefined();
    expect(t.repos.accounts.get('acc-1')!.balanceFen).toBe(1000);
    expect(t.repos.accounts.get('acc-2')!.balanceFen).toBe(1000);
    expect(groups).toEqual([3]);
    expect(checkLedger(t.repos, T0).ok).toBe(true);
  });

  it('fifty copies of one payment in a group credit it once and all answer with the original', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => batcher.submit(pay({ actor: `retry-${i}` }), T0 + i)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.payment.id)).size).toBe(1);
    expect(results.every((r) => r.payment.actor === results[0]!.payment.actor)).toBe(true);
    expect(t.repos.accounts.get('acc-1')!.balanceFen).toBe(1000);
    expect(t.repos.ledger.entries('acc-1', 0, 100)).toHaveLength(1);
  });

  it('splits a burst larger than maxItems into several transactions', async () => {
    const small = new PaymentBatcher(t.repos, { enabled: true, maxItems: 7 });
    const sizes: number[] = [];
    small.onCommit = (n) => sizes.push(n);
    await Promise.all(Array.from({ length: 20 }, (_, i) => small.submit(pay({ channelTxnId: `s-${i}` }), T0)));
    expect(sizes).toEqual([7, 7, 6]);
    await small.drain();
    expect(t.repos.accounts.get('acc-1')!.balanceFen).toBe(20_000);
  });

  it('without group commit each payment is its own transaction (the same results)', async () => {
    const single = new PaymentBatcher(t.repos, { enabled: false, maxItems: 1000 });
    const sizes: number[] = [];
    single.onCommit = (n) => sizes.push(n);
    const outcomes = await Promise.allSettled([single.submit(pay({ channelTxnId: 'x' }), T0), single.submit(pay({ channelTxnId: 'y', accountId: 'nobody' }), T0)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    expect(sizes).toEqual([1]);
    expect(postPayment(t.repos, pay({ channelTxnId: 'x' }), T0).created).toBe(false);
  });
});

describe('group commit over HTTP', () => {
  let fk: TestDaemon;
  beforeEach(async () => {
    fk = await startTestDaemon({ http: { rateLimit: { max: 0 } } });
    for (const id of ['acc-1', 'acc-2']) expect((await fk.api('POST', '/v1/accounts', { body: { id, name: id } })).status).toBe(201);
    expect((await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-1', channel: 'pos', channelTxnId: 'first', amountFen: 300 } })).status).toBe(201);
  });
  afterEach(async () => fk?.stop());

  it('answers every request of a mixed burst correctly and credits each good payment once', async () => {
    const bodies = [
      ...Array.from({ length: 60 }, (_, i) => ({ accountId: i % 2 ? 'acc-1' : 'acc-2', channel: 'wechat', channelTxnId: `wx-${i}`, amountFen: 10 })),
      ...Array.from({ length: 20 }, () => ({ accountId: 'acc-2', channel: 'alipay', channelTxnId: 'same', amountFen: 77 })),
      ...Array.from({ length: 10 }, (_, i) => ({ accountId: 'nobody', channel: 'bank', channelTxnId: `n-${i}`, amountFen: 10 })),
      ...Array.from({ length: 10 }, () => ({ accountId: 'acc-1', channel: 'pos', channelTxnId: 'first', amountFen: 301 })),
    ];
    const results = await Promise.all(bodies.map((body) => fk.api('POST', '/v1/payments', { role: 'billing', body })));
    const statuses = (from: number, to: number) => results.slice(from, to).map((r) => r.status);
    expect(statuses(0, 60).every((s) => s === 201)).toBe(true);
    expect(statuses(60, 80).sort((a, b) => a - b)).toEqual([...Array(19).fill(200), 201]);
    expect(statuses(80, 90).every((s) => s === 404)).toBe(true);
    expect(results.slice(90).every((r) => r.status === 409 && r.body.error.code === 'LEDGER_DUPLICATE_MISMATCH')).toBe(true);
    expect((await fk.api('GET', '/v1/accounts/acc-1')).body.balanceFen).toBe(300 + 30 * 10);
    expect((await fk.api('GET', '/v1/accounts/acc-2')).body.balanceFen).toBe(30 * 10 + 77);
    expect((await fk.api('GET', '/v1/ledger/check')).body).toMatchObject({ ok: true, violations: [] });
  });
});
