// Repository functions for the append-only ledger and the payments it records.
import type { Sqlite } from '../connection.js';

export type LedgerKind = 'payment' | 'reversal' | 'consumption' | 'adjustment' | 'emergency-credit';

export interface LedgerEntryRow {
  id: number;
  accountId: string;
  kind: LedgerKind;
  amountFen: number;
  balanceAfterFen: number;
  paymentId: string | null;
  meterId: string | null;
  energyWh: number | null;
  reason: string | null;
  actor: string;
  createdAt: number;
}

export interface PaymentRow {
  id: string;
  channel: string;
  channelTxnId: string;
  accountId: string;
  amountFen: number;
  paidAt: number;
  actor: string;
  createdAt: number;
  reversedAt: number | null;
}

const PAYMENT_COLUMNS = `id, channel, channel_txn_id AS channelTxnId, account_id AS accountId, amount_fen AS amountFen,
  paid_at AS paidAt, actor, created_at AS createdAt, reversed_at AS reversedAt`;

export function ledgerRepository(db: Sqlite) {
  const insertEntry = db.prepare(`INSERT INTO ledger_entries (account_id, kind, amount_fen, balance_after_fen, payment_id,
    meter_id, energy_wh, reason, actor, created_at)
    VALUES (@accountId, @kind, @amountFen, @balanceAfterFen, @paymentId, @meterId, @energyWh, @reason, @actor, @createdAt)`);
  const entriesPage = db.prepare(`SELECT id, account_id AS accountId, kind, amount_fen AS amountFen,
    balance_after_fen AS balanceAfterFen, payment_id AS paymentId, meter_id AS meterId, energy_wh AS energyWh, reason, actor,
    created_at AS createdAt FROM ledger_entries WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?`);
  const sumFor = db.prepare(`SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_entries WHERE account_id = ?`).pluck();
  const insertPayment = db.prepare(`INSERT INTO payments (id, channel, channel_txn_id, account_id, amount_fen, paid_at, actor, created_at)
    VALUES (@id, @channel, @channelTxnId, @accountId, @amountFen, @paidAt, @actor, @createdAt)
    ON CONFLICT (channel, channel_txn_id) DO NOTHING`);
  const paymentByTxn = db.prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE channel = ? AND channel_txn_id = ?`);
  const paymentById = db.prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = ?`);
  const markReversed = db.prepare(`UPDATE payments SET reversed_at = ? WHERE id = ? AND reversed_at IS NULL`);
  const mismatches = db.prepare(`SELECT a.id AS accountId, a.balance_fen AS cachedFen, COALESCE(SUM(l.amount_fen), 0) AS ledgerFen
    FROM accounts a LEFT JOIN ledger_entries l ON l.account_id = a.id
    GROUP BY a.id HAVING a.balance_fen <> COALESCE(SUM(l.amount_fen), 0)`);

  return {
    appendEntry(entry: Omit<LedgerEntryRow, 'id'>): number {
      return Number(insertEntry.run(entry).lastInsertRowid);
    },
    entries(accountId: string, afterId: number, limit: number): LedgerEntryRow[] {
      return entriesPage.all(accountId, afterId, limit) as LedgerEntryRow[];
    },
    sumFor(accountId: string): number {
      return sumFor.get(accountId) as number;
    },
    /** Inserts a payment unless (channel, channelTxnId) exists; returns true when inserted. */
    insertPayment(payment: Omit<PaymentRow, 'reversedAt'>): boolean {
      return insertPayment.run(payment).changes === 1;
    },
    paymentByChannelTxn(channel: string, channelTxnId: string): PaymentRow | undefined {
      return paymentByTxn.get(channel, channelTxnId) as PaymentRow | undefined;
    },
    payment(id: string): PaymentRow | undefined {
      return paymentById.get(id) as PaymentRow | undefined;
    },
    markReversed(id: string, at: number): boolean {
      return markReversed.run(at, id).changes === 1;
    },
    /** Accounts whose cached balance differs from the sum of their entries (should be none). */
    invariantViolations(): Array<{ accountId: string; cachedFen: number; ledgerFen: number }> {
      return mismatches.all() as Array<{ accountId: string; cachedFen: number; ledgerFen: number }>;
    },
  };
}

export type LedgerRepository = ReturnType<typeof ledgerRepository>;
