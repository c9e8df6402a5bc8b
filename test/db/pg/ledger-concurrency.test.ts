// The PostgreSQL ledger (src/db/pg/ledger.ts) against one private server shared by the file.
// Posting: the same rows as the SQLite path (src/ledger/payments.ts) for the same payments, repeats
// answered with the original, resends with another amount refused, emergency credit repaid first;
// bigint values a JS number cannot hold are refused. Concurrency: several daemons (one pool each,
// opened together so that they also migrate together) posting at once — a payment credits exactly
// once however many copies arrive through however many daemons, and every cached balance stays the
// sum of its account's entries (docs/design.md, "The ledger").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, closePostgres, PG_MIGRATIONS_DIR, type PgPool } from '../../../src/db/pg/connection.js';
import { pgLedgerRepository, type PgLedgerRepository, type PgPaymentInput } from '../../../src/db/pg/ledger.js';
import { postPayment, type PaymentChannel, type PostedPayment } from '../../../src/ledger/payments.js';
import { openTestDb, type TestDb } from '../../helpers/db.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { balanceOf, entriesOf, insertAccount, insertTariff, paymentEntryViolations, runningBalanceViolations } from './ledger-fixtures.js';

const DAEMONS = 4;
const T0 = Date.parse('2026-11-22T09:00:00+08:00');

let server: TestPostgres | undefined;
const pools: PgPool[] = [];
let ledgers: PgLedgerRepository[] = [];
let admin: PgPool;

beforeAll(async () => {
  server = await startPostgres();
  const url = await server.createDatabase('ledger');
  const opened = await Promise.allSettled(Array.from({ length: DAEMONS }, () => openPostgres({ connectionString: url, max: 4 })));
  for (const o of opened) if (o.status === 'fulfilled') pools.push(o.value);
  const failed = opened.find((o) => o.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  admin = pools[0]!;
  ledgers = pools.map((p) => pgLedgerRepository(p));
  await insertTariff(admin);
});
afterAll(async () => {
  await Promise.allSettled(pools.map((p) => closePostgres(p)));
  await server?.stop();
});

describe('PostgreSQL ledger posting', () => {
  const input = (accountId: string, channelTxnId: string, amountFen: number, paidAt = T0): PgPaymentInput => ({
    channel: 'counter', channelTxnId, accountId, amountFen, paidAt, actor: 'billing', at: paidAt + 5,
  });

  it('writes the same payments, entries, events and audit entries as the SQLite path', async () => {
    const posts = [
      input('same-a', 'c-1', 5_000), // repays 3,000 of emergency credit first
      input('same-a', 'c-1', 5_000), // a repeat
      input('same-b', 'c-2', 700, T0 + 60_000),
      input('same-a', 'c-3', 1_200, T0 - 60_000), // paid earlier than the last payment
    ];
    const sqlite: TestDb = openTestDb();
    try {
      for (const id of ['same-a', 'same-b']) {
        sqlite.account({ id });
        await insertAccount(admin, id);
      }
      sqlite.repos.accounts.setEmergencyCredit('same-a', 3_000);
      await admin.query(`UPDATE accounts SET emergency_credit_fen = 3000 WHERE id = 'same-a'`);

      const fromSqlite = posts.map((p) => postPayment(sqlite.repos, { ...p, channel: p.channel as PaymentChannel }, p.at));
      const fromPg: PostedPayment[] = [];
      for (const p of posts) fromPg.push(await ledgers[0]!.postPayment(p));
      const withoutIds = (r: PostedPayment) => ({ ...r, payment: { ...r.payment, id: r.payment.channelTxnId } });
      expect(fromPg.map(withoutIds)).toEqual(fromSqlite.map(withoutIds));
      expect(fromPg[1]!.payment.id).toBe(fromPg[0]!.payment.id);

      // Rows, with each payment id replaced by its channel transaction id.
      const sqliteIds = new Map(fromSqlite.map((r) => [r.payment.id, r.payment.channelTxnId]));
      const pgIds = new Map(fromPg.map((r) => [r.payment.id, r.payment.channelTxnId]));
      const rename = (ids: Map<string, string>) => (row: Record<string, unknown>) => {
        const out: Record<string, unknown> = { ...row };
        for (const key of ['id', 'paymentId']) if (typeof out[key] === 'string' && ids.has(out[key] as string)) out[key] = ids.get(out[key] as string);
        for (const key of ['data', 'detail']) if (typeof out[key] === 'string') out[key] = rename(ids)(JSON.parse(out[key] as string));
        return out;
      };
      const tables: Array<[string, string]> = [
        ['payments', `SELECT id, channel, channel_txn_id, account_id, amount_fen, paid_at, actor, created_at, reversed_at FROM payments
          WHERE account_id LIKE 'same-%' ORDER BY channel_txn_id`],
        ['entries', `SELECT account_id, kind, amount_fen, balance_after_fen, payment_id AS "paymentId", meter_id, energy_wh, reason, actor, created_at
          FROM ledger_entries WHERE account_id LIKE 'same-%' ORDER BY id`],
        ['events', `SELECT type, account_id, meter_id, data, created_at FROM events WHERE type = 'payment-posted' ORDER BY id`],
        ['audit', `SELECT actor, action, target, detail, at FROM audit WHERE action = 'payment-posted' ORDER BY id`],
        ['accounts', `SELECT id, balance_fen, emergency_credit_fen, last_payment_at FROM accounts WHERE id LIKE 'same-%' ORDER BY id`],
      ];
      for (const [name, query] of tables) {
        const expected = (sqlite.db.prepare(query).all() as Array<Record<string, unknown>>).map(rename(sqliteIds));
        const actual = (await admin.query(query)).rows.map(rename(pgIds));
        expect(actual, name).toEqual(expected);
        expect(actual.length, name).toBeGreaterThan(0);
      }
    } finally {
      sqlite.cleanup();
    }
    expect(await ledgers[0]!.checkLedger()).toEqual([]);
  });

  it('refuses a resend with another amount or account, an unknown account and a bad amount, crediting nothing', async () => {
    await insertAccount(admin, 'refuse-1');
    await insertAccount(admin, 'refuse-2');
    await ledgers[0]!.postPayment(input('refuse-1', 'r-1', 900));
    await expect(ledgers[0]!.postPayment(input('refuse-1', 'r-1', 901))).rejects.toMatchObject({ code: 'LEDGER_DUPLICATE_MISMATCH' });
    await expect(ledgers[0]!.postPayment(input('refuse-2', 'r-1', 900))).rejects.toMatchObject({ code: 'LEDGER_DUPLICATE_MISMATCH' });
    await expect(ledgers[0]!.postPayment(input('nobody', 'r-2', 900))).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
    for (const bad of [0, -5, 1.5, Number.MAX_SAFE_INTEGER + 2]) {
      await expect(ledgers[0]!.postPayment(input('refuse-1', 'r-3', bad))).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    expect(await balanceOf(admin, 'refuse-1')).toBe(900);
    expect(await balanceOf(admin, 'refuse-2')).toBe(0);
    expect(await entriesOf(admin, 'refuse-1')).toHaveLength(1);
    const stray = await admin.query(`SELECT COUNT(*) AS n FROM payments WHERE channel_txn_id IN ('r-2', 'r-3')`);
    expect(stray.rows[0].n).toBe(0);
  });

  it('reports an account whose cached balance differs from its entries', async () => {
    await insertAccount(admin, 'tampered', { balanceFen: 50 });
    expect(await ledgers[0]!.checkLedger()).toEqual([{ accountId: 'tampered', cachedFen: 50, ledgerFen: 0 }]);
    await admin.query(`UPDATE accounts SET balance_fen = 0 WHERE id = 'tampered'`);
    expect(await ledgers[0]!.checkLedger()).toEqual([]);
  });

  it('reads bigint as exact numbers and refuses values beyond Number.MAX_SAFE_INTEGER', async () => {
    const edge = await admin.query(`SELECT ${Number.MAX_SAFE_INTEGER}::bigint AS top, ${-Number.MAX_SAFE_INTEGER}::bigint AS bottom`);
    expect(edge.rows[0]).toEqual({ top: Number.MAX_SAFE_INTEGER, bottom: -Number.MAX_SAFE_INTEGER });
    await expect(admin.query(`SELECT ${Number.MAX_SAFE_INTEGER}::bigint + 1 AS x`)).rejects.toThrow(/MAX_SAFE_INTEGER/);
    await expect(admin.query(`SELECT ${-Number.MAX_SAFE_INTEGER}::bigint - 2 AS x`)).rejects.toThrow(/MAX_SAFE_INTEGER/);
    expect((await admin.query('SELECT 1 AS ok')).rows[0]).toEqual({ ok: 1 });
  });
});

describe('PostgreSQL ledger under concurrent daemons', () => {
  it('migrates once when the daemons open the database together', async () => {
    const applied = await admin.query('SELECT COUNT(*) AS n FROM drizzle.__drizzle_migrations');
    const migrations = (JSON.parse(readFileSync(join(PG_MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;
    expect(applied.rows[0].n).toBe(migrations);
  });

  const payment = (accountId: string, channelTxnId: string, amountFen: number): PgPaymentInput => ({
    channel: 'wechat', channelTxnId, accountId, amountFen, paidAt: T0, actor: 'billing', at: T0 + 1,
  });

  it('credits 50 identical copies of one payment, posted through every daemon at once, exactly once', async () => {
    await insertAccount(admin, 'same-1');
    const input = payment('same-1', 'wx-0001', 12_345);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => ledgers[i % DAEMONS]!.postPayment(input)));

    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.payment.id)).size).toBe(1);
    expect(results.every((r) => r.payment.amountFen === 12_345 && r.payment.accountId === 'same-1')).toBe(true);
    expect(await balanceOf(admin, 'same-1')).toBe(12_345);
    expect(await entriesOf(admin, 'same-1')).toEqual([{ kind: 'payment', amountFen: 12_345, balanceAfterFen: 12_345, paymentId: results[0]!.payment.id }]);
    expect(await ledgers[0]!.checkLedger()).toEqual([]);
  });

  it('keeps every balance the sum of its entries when many distinct payments hit a few accounts from all daemons', async () => {
    const accounts = ['many-1', 'many-2', 'many-3'];
    for (const id of accounts) await insertAccount(admin, id);
    const inputs = Array.from({ length: 240 }, (_, i) => payment(accounts[i % accounts.length]!, `bank-${i}`, 100 + ((i * 7919) % 50_000)));
    const results = await Promise.all(inputs.map((input, i) => ledgers[i % DAEMONS]!.postPayment(input)));

    expect(results.every((r) => r.created)).toBe(true);
    for (const id of accounts) {
      const expected = inputs.filter((p) => p.accountId === id).reduce((sum, p) => sum + p.amountFen, 0);
      expect(await balanceOf(admin, id)).toBe(expected);
      expect(await entriesOf(admin, id)).toHaveLength(inputs.length / accounts.length);
    }
    const posted = await admin.query<{ n: number }>(`SELECT COUNT(*) AS n FROM payments WHERE channel_txn_id LIKE 'bank-%'`);
    expect(posted.rows[0]!.n).toBe(inputs.length);
    expect(await ledgers[1]!.checkLedger()).toEqual([]);
    expect(await runningBalanceViolations(admin)).toEqual([]);
    expect(await paymentEntryViolations(admin)).toEqual([]);
  });

  it('credits each payment once over random interleavings of duplicated copies through random daemons', async () => {
    let run = 0;
    const scenario = fc.array(fc.record({
      account: fc.nat(2),
      amountFen: fc.integer({ min: 1, max: 5_000_000 }),
      copies: fc.integer({ min: 1, max: 5 }),
    }), { minLength: 1, maxLength: 8 }).chain((payments) => {
      const copies = payments.flatMap((p, i) => Array.from({ length: p.copies }, () => i));
      return fc.record({
        payments: fc.constant(payments),
        order: fc.shuffledSubarray(copies, { minLength: copies.length }),
        via: fc.array(fc.record({ daemon: fc.nat(DAEMONS - 1), ticks: fc.nat(3) }), { minLength: copies.length, maxLength: copies.length }),
      });
    });

    await fc.assert(fc.asyncProperty(scenario, async ({ payments, order, via }) => {
      const tag = `prop-${++run}`;
      const accounts = [0, 1, 2].map((k) => `${tag}-a${k}`);
      for (const id of accounts) await insertAccount(admin, id);
      const inputs = payments.map((p, i) => payment(accounts[p.account]!, `${tag}-t${i}`, p.amountFen));

      // Every copy starts after a few turns of the event loop, through its daemon, all in flight together.
      const results = await Promise.all(order.map(async (index, k) => {
        for (let t = 0; t < via[k]!.ticks; t++) await new Promise((r) => setImmediate(r));
        return { index, result: await ledgers[via[k]!.daemon]!.postPayment(inputs[index]!) };
      }));

      for (let i = 0; i < inputs.length; i++) {
        const mine = results.filter((r) => r.index === i).map((r) => r.result);
        expect(mine.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(mine.map((r) => r.payment.id)).size).toBe(1);
      }
      for (const id of accounts) {
        const credited = inputs.filter((p) => p.accountId === id);
        expect(await balanceOf(admin, id)).toBe(credited.reduce((sum, p) => sum + p.amountFen, 0));
        expect(await entriesOf(admin, id)).toHaveLength(credited.length);
      }
      expect(await ledgers[run % DAEMONS]!.checkLedger()).toEqual([]);
    }), { numRuns: 20 });
    expect(await runningBalanceViolations(admin)).toEqual([]);
    expect(await paymentEntryViolations(admin)).toEqual([]);
  });
});
