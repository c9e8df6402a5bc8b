// The ledger's money-critical writes on PostgreSQL, for daemons sharing one database: posting a
// payment (销账) exactly once, and the check that every cached balance is the sum of its entries
// (docs/design.md, "The ledger"). Same rows as the SQLite path (src/ledger/payments.ts). Under
// READ COMMITTED, exactly-once comes from the unique (channel, channel_txn_id) index — the payment
// row is inserted with ON CONFLICT DO NOTHING and only its inserter credits — and the balance
// from one `UPDATE … SET balance_fen = balance_fen + $1 … RETURNING`, whose row lock also orders
// each account's entries. No SERIALIZABLE retries are needed.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError } from '../../errors.js';
import type { PaymentRow } from '../repo/ledger.js';
import { checkPaymentInput, checkRepeat, type PostedPayment } from '../../ledger/payments.js';
import type { PgPool } from './connection.js';

export interface PgPaymentInput {
  channel: string;
  channelTxnId: string;
  accountId: string;
  amountFen: number;
  paidAt: number;
  actor: string;
  /** when it is posted (the row's created_at) */
  at: number;
}

export interface BalanceMismatch {
  accountId: string;
  cachedFen: number;
  ledgerFen: number;
}

const PAYMENT_COLUMNS = `id, channel, channel_txn_id AS "channelTxnId", account_id AS "accountId", amount_fen AS "amountFen",
  paid_at AS "paidAt", actor, created_at AS "createdAt", reversed_at AS "reversedAt"`;

const INSERT_PAYMENT = `INSERT INTO payments (id, channel, channel_txn_id, account_id, amount_fen, paid_at, actor, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (channel, channel_txn_id) DO NOTHING`;
const PAYMENT_BY_TXN = `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE channel = $1 AND channel_txn_id = $2`;
// One statement adds to the cached balance: concurrent postings to an account queue on its row lock.
const CREDIT = `UPDATE accounts SET balance_fen = balance_fen + $1,
  last_payment_at = GREATEST(COALESCE(last_payment_at, $2), $2) WHERE id = $3
  RETURNING balance_fen AS "balanceFen", emergency_credit_fen AS "emergencyCreditFen"`;
const REPAY_EMERGENCY = `UPDATE accounts SET balance_fen = balance_fen - $1, emergency_credit_fen = emergency_credit_fen - $1
  WHERE id = $2 RETURNING balance_fen AS "balanceFen"`;
const INSERT_ENTRY = `INSERT INTO ledger_entries (account_id, kind, amount_fen, balance_after_fen, payment_id, reason, actor, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;
const INSERT_EVENT = `INSERT INTO events (type, account_id, meter_id, data, created_at) VALUES ($1, $2, NULL, $3, $4)`;
const INSERT_AUDIT = `INSERT INTO audit (actor, action, target, detail, at) VALUES ($1, $2, $3, $4, $5)`;
const BALANCE = `SELECT balance_fen AS "balanceFen" FROM accounts WHERE id = $1`;
const REPAID_BY = `SELECT COALESCE(SUM(-amount_fen), 0)::bigint AS "repaidFen" FROM ledger_entries
  WHERE account_id = $1 AND payment_id = $2 AND kind = 'emergency-credit' AND amount_fen < 0`;
const MISMATCHES = `SELECT a.id AS "accountId", a.balance_fen AS "cachedFen", COALESCE(SUM(l.amount_fen), 0)::bigint AS "ledgerFen"
  FROM accounts a LEFT JOIN ledger_entries l ON l.account_id = a.id
  GROUP BY a.id HAVING a.balance_fen <> COALESCE(SUM(l.amount_fen), 0) ORDER BY a.id`;

/** PostgreSQL's foreign_key_violation */
const FOREIGN_KEY_VIOLATION = '23503';

export function pgLedgerRepository(pool: PgPool) {
  return {
    /**
     * Posts a payment once: the first posting of (channel, channelTxnId) credits the account
     * (repaying outstanding emergency credit first) and records the payment-posted event and
     * audit entry; any later posting credits nothing and answers with the original. A resend
     * with a different account or amount is refused.
     */
    async postPayment(input: PgPaymentInput): Promise<PostedPayment> {
      checkPaymentInput(input);
      return inTransaction(pool, async (client) => {
        const payment: PaymentRow = {
          id: randomUUID(), channel: input.channel, channelTxnId: input.channelTxnId, accountId: input.accountId,
          amountFen: input.amountFen, paidAt: input.paidAt, actor: input.actor, createdAt: input.at, reversedAt: null,
        };
        let inserted: boolean;
        try {
          const result = await client.query({
            name: 'fk-insert-payment', text: INSERT_PAYMENT,
            values: [payment.id, payment.channel, payment.channelTxnId, payment.accountId, payment.amountFen, payment.paidAt, payment.actor, payment.createdAt],
          });
          inserted = result.rowCount === 1;
        } catch (err) {
          if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) {
            throw new AppError('ACCOUNT_NOT_FOUND', `account ${input.accountId} does not exist`, { field: 'accountId' });
          }
          throw err;
        }
        return inserted ? credit(client, payment) : repeatOf(client, input);
      });
    },

    /** Accounts whose cached balance differs from the sum of their entries (should be none). */
    async checkLedger(): Promise<BalanceMismatch[]> {
      return (await pool.query<BalanceMismatch>(MISMATCHES)).rows;
    },
  };
}

export type PgLedgerRepository = ReturnType<typeof pgLedgerRepository>;

/** The writes of a newly inserted payment, in its transaction. */
async function credit(client: pg.PoolClient, payment: PaymentRow): Promise<PostedPayment> {
  const { accountId, amountFen, actor, createdAt: at } = payment;
  const credited = await client.query<{ balanceFen: number; emergencyCreditFen: number }>({
    name: 'fk-credit', text: CREDIT, values: [amountFen, payment.paidAt, accountId],
  });
  const row = credited.rows[0];
  if (!row) throw new AppError('ACCOUNT_NOT_FOUND', `account ${accountId} does not exist`, { field: 'accountId' });
  let balanceFen = row.balanceFen;
  await appendEntry(client, accountId, 'payment', amountFen, balanceFen, payment.id, null, actor, at);
  // The account row is locked since the credit: the outstanding emergency credit cannot move under us.
  const repaid = Math.min(row.emergencyCreditFen, amountFen);
  if (repaid > 0) {
    const after = await client.query<{ balanceFen: number }>({ name: 'fk-repay-emergency', text: REPAY_EMERGENCY, values: [repaid, accountId] });
    balanceFen = after.rows[0]!.balanceFen;
    await appendEntry(client, accountId, 'emergency-credit', -repaid, balanceFen, payment.id, 'emergency credit repaid from payment', actor, at);
  }
  const detail = { paymentId: payment.id, channel: payment.channel, channelTxnId: payment.channelTxnId, amountFen };
  await client.query({
    name: 'fk-insert-event', text: INSERT_EVENT,
    values: ['payment-posted', accountId, JSON.stringify({ ...detail, emergencyCreditRepaidFen: repaid, balanceFen }), at],
  });
  await client.query({ name: 'fk-insert-audit', text: INSERT_AUDIT, values: [actor, 'payment-posted', accountId, JSON.stringify(detail), at] });
  return { payment, created: true, balanceFen, emergencyCreditRepaidFen: repaid };
}

async function appendEntry(client: pg.PoolClient, accountId: string, kind: 'payment' | 'emergency-credit', amountFen: number,
  balanceAfterFen: number, paymentId: string, reason: string | null, actor: string, at: number): Promise<void> {
  await client.query({
    name: 'fk-insert-entry', text: INSERT_ENTRY, values: [accountId, kind, amountFen, balanceAfterFen, paymentId, reason, actor, at],
  });
}

/** The answer to a repeated posting: the original, unless the resend names another account or amount. */
async function repeatOf(client: pg.PoolClient, input: PgPaymentInput): Promise<PostedPayment> {
  // READ COMMITTED: this statement sees the conflicting row, whose inserter has committed.
  const existing = (await client.query<PaymentRow>({ name: 'fk-payment-by-txn', text: PAYMENT_BY_TXN, values: [input.channel, input.channelTxnId] })).rows[0];
  if (!existing) throw new Error(`payment ${input.channel}/${input.channelTxnId} conflicted but cannot be read`);
  checkRepeat(existing, input);
  const balance = (await client.query<{ balanceFen: number }>({ name: 'fk-balance', text: BALANCE, values: [existing.accountId] })).rows[0];
  const repaid = (await client.query<{ repaidFen: number }>({ name: 'fk-repaid-by', text: REPAID_BY, values: [existing.accountId, existing.id] })).rows[0]!;
  return { payment: existing, created: false, balanceFen: balance?.balanceFen ?? 0, emergencyCreditRepaidFen: repaid.repaidFen };
}

/** Runs `work` in one READ COMMITTED transaction on one pooled connection; rolls back on any error. */
async function inTransaction<T>(pool: PgPool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch (rollbackError) {
      // A connection that cannot roll back is not given back to the pool.
      client.release(rollbackError instanceof Error ? rollbackError : true);
    }
    throw err;
  }
}
