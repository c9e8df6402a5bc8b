// Shared pieces of the PostgreSQL ledger tests: a tariff and accounts inserted directly, and the
// ledger's own invariants read back with SQL (each entry's balance-after is the running sum of its
// account's entries; every payment has exactly one payment entry of its amount).
import type { PgPool } from '../../../src/db/pg/connection.js';

export const TARIFF_ID = 'flat';

export async function insertTariff(pool: PgPool): Promise<void> {
  await pool.query(`INSERT INTO tariffs (id, name, definition, created_at) VALUES ($1, 'Flat', '{"kind":"flat","microYuanPerKwh":528300}', 0)
    ON CONFLICT (id) DO NOTHING`, [TARIFF_ID]);
}

export async function insertAccount(pool: PgPool, id: string, options: { balanceFen?: number; emergencyCreditFen?: number } = {}): Promise<void> {
  await pool.query(`INSERT INTO accounts (id, name, tariff_id, balance_fen, alarm_level1_fen, alarm_level2_fen, cutoff_level_fen,
    restore_level_fen, emergency_credit_fen, created_at) VALUES ($1, $2, $3, $4, 2000, 1000, 0, 0, $5, 0)`,
  [id, `Customer ${id}`, TARIFF_ID, options.balanceFen ?? 0, options.emergencyCreditFen ?? 0]);
}

export async function balanceOf(pool: PgPool, accountId: string): Promise<number> {
  return (await pool.query<{ b: number }>('SELECT balance_fen AS b FROM accounts WHERE id = $1', [accountId])).rows[0]!.b;
}

export async function entriesOf(pool: PgPool, accountId: string): Promise<Array<{ kind: string; amountFen: number; balanceAfterFen: number; paymentId: string }>> {
  return (await pool.query(`SELECT kind, amount_fen AS "amountFen", balance_after_fen AS "balanceAfterFen", payment_id AS "paymentId"
    FROM ledger_entries WHERE account_id = $1 ORDER BY id`, [accountId])).rows;
}

/** Entries whose balance-after is not the running sum of their account's entries up to them. */
export async function runningBalanceViolations(pool: PgPool): Promise<unknown[]> {
  return (await pool.query(`SELECT * FROM (SELECT account_id, id, balance_after_fen,
      SUM(amount_fen) OVER (PARTITION BY account_id ORDER BY id ROWS UNBOUNDED PRECEDING)::bigint AS running
    FROM ledger_entries) r WHERE balance_after_fen <> running`)).rows;
}

/** Payments without exactly one payment entry of their amount. */
export async function paymentEntryViolations(pool: PgPool): Promise<unknown[]> {
  return (await pool.query(`SELECT p.id, p.amount_fen, COUNT(l.id) AS entries FROM payments p
    LEFT JOIN ledger_entries l ON l.payment_id = p.id AND l.kind = 'payment'
    GROUP BY p.id HAVING COUNT(l.id) <> 1 OR COALESCE(SUM(l.amount_fen), 0) <> p.amount_fen`)).rows;
}
