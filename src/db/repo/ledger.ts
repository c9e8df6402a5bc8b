// Repository functions for the append-only ledger, the payments it records and the checks of
// its invariants (prepared statements: payments and readings post here on the hot path).
import type { Database } from '../database.js';
import { insertReturningId } from '../dialect.js';

export type LedgerKind = 'payment' | 'reversal' | 'consumption' | 'adjustment' | 'emergency-credit' | 'opening-balance';

export interface LedgerEntryRow {
  id: number;
  accountId: string;
  kind: LedgerKind;
  amountFen: number;
  balanceAfterFen: number;
  paymentId: string | null;
  meterId: string | null;
  energyWh: number | null;
  /** consumption: the reading interval charged */
  intervalFrom: number | null;
  intervalTo: number | null;
  /** consumption: JSON array of the parts charged (src/ledger/consumption.ts ChargePart) */
  breakdown: string | null;
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

export interface LedgerViolation {
  rule: 'balance' | 'running-balance' | 'payment-entries' | 'emergency-credit';
  accountId: string;
  detail: Record<string, unknown>;
}

const PAYMENT_COLUMNS = `id, channel, channel_txn_id AS "channelTxnId", account_id AS "accountId", amount_fen AS "amountFen",
  paid_at AS "paidAt", actor, created_at AS "createdAt", reversed_at AS "reversedAt"`;
const ENTRY_COLUMNS = `id, account_id AS "accountId", kind, amount_fen AS "amountFen", balance_after_fen AS "balanceAfterFen",
  payment_id AS "paymentId", meter_id AS "meterId", energy_wh AS "energyWh", interval_from AS "intervalFrom", interval_to AS "intervalTo",
  breakdown, reason, actor, created_at AS "createdAt"`;

export function ledgerRepository(db: Database) {
  const insertEntry = insertReturningId(db, `INSERT INTO ledger_entries (account_id, kind, amount_fen, balance_after_fen, payment_id,
    meter_id, energy_wh, interval_from, interval_to, breakdown, reason, actor, created_at)
    VALUES (@accountId, @kind, @amountFen, @balanceAfterFen, @paymentId, @meterId, @energyWh, @intervalFrom, @intervalTo, @breakdown, @reason,
    @actor, @createdAt)`);
  const entriesPage = db.prepare(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?`);
  const entriesNewestFirst = db.prepare(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?`);
  const entriesOfPayment = db.prepare(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE account_id = ? AND payment_id = ? ORDER BY id`);
  const recentNewestFirst = db.prepare(`SELECT kind, amount_fen AS "amountFen", created_at AS "createdAt" FROM ledger_entries
    WHERE account_id = ? ORDER BY id DESC`);
  const consumptionOf = db.prepare(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries WHERE account_id = ? AND kind = 'consumption' ORDER BY id`);
  const sumFor = db.prepare(`SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_entries WHERE account_id = ?`).pluck();
  const insertPayment = db.prepare(`INSERT INTO payments (id, channel, channel_txn_id, account_id, amount_fen, paid_at, actor, created_at)
    VALUES (@id, @channel, @channelTxnId, @accountId, @amountFen, @paidAt, @actor, @createdAt)
    ON CONFLICT (channel, channel_txn_id) DO NOTHING`);
  const paymentByTxn = db.prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE channel = ? AND channel_txn_id = ?`);
  const paymentById = db.prepare(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = ?`);
  const markReversed = db.prepare(`UPDATE payments SET reversed_at = ? WHERE id = ? AND reversed_at IS NULL`);
  const mismatches = db.prepare(`SELECT a.id AS "accountId", a.balance_fen AS "cachedFen", COALESCE(SUM(l.amount_fen), 0) AS "ledgerFen"
    FROM accounts a LEFT JOIN ledger_entries l ON l.account_id = a.id
    GROUP BY a.id HAVING a.balance_fen <> COALESCE(SUM(l.amount_fen), 0)`);
  // Each entry's balance-after is the running sum of the account's entries up to it.
  const runningMismatches = db.prepare(`SELECT "accountId", id, "balanceAfterFen", "runningFen" FROM (
    SELECT account_id AS "accountId", id, balance_after_fen AS "balanceAfterFen",
      SUM(amount_fen) OVER (PARTITION BY account_id ORDER BY id ROWS UNBOUNDED PRECEDING) AS "runningFen"
    FROM ledger_entries) AS running WHERE "balanceAfterFen" <> "runningFen" LIMIT 1000`);
  // Every payment has exactly one payment entry of its amount, and one reversal entry iff reversed.
  const paymentMismatches = db.prepare(`SELECT p.id AS "paymentId", p.account_id AS "accountId", p.amount_fen AS "amountFen",
      CASE WHEN p.reversed_at IS NOT NULL THEN 1 ELSE 0 END AS reversed, COALESCE(e.payments, 0) AS "paymentEntries", COALESCE(e.paid, 0) AS "paidFen",
      COALESCE(e.reversals, 0) AS "reversalEntries", COALESCE(e.reversed, 0) AS "reversedFen"
    FROM payments p LEFT JOIN (
      SELECT payment_id, SUM(CASE WHEN kind = 'payment' THEN 1 ELSE 0 END) AS payments, SUM(CASE WHEN kind = 'payment' THEN amount_fen ELSE 0 END) AS paid,
        SUM(CASE WHEN kind = 'reversal' THEN 1 ELSE 0 END) AS reversals, SUM(CASE WHEN kind = 'reversal' THEN -amount_fen ELSE 0 END) AS reversed
      FROM ledger_entries WHERE payment_id IS NOT NULL GROUP BY payment_id) e ON e.payment_id = p.id
    WHERE COALESCE(e.payments, 0) <> 1 OR COALESCE(e.paid, 0) <> p.amount_fen
      OR COALESCE(e.reversals, 0) <> CASE WHEN p.reversed_at IS NOT NULL THEN 1 ELSE 0 END
      OR COALESCE(e.reversed, 0) <> CASE WHEN p.reversed_at IS NOT NULL THEN p.amount_fen ELSE 0 END
    LIMIT 1000`);
  // Outstanding emergency credit is the sum of the emergency-credit entries (taken minus repaid).
  const emergencyMismatches = db.prepare(`SELECT a.id AS "accountId", a.emergency_credit_fen AS "outstandingFen",
      COALESCE(SUM(l.amount_fen), 0) AS "ledgerFen"
    FROM accounts a LEFT JOIN ledger_entries l ON l.account_id = a.id AND l.kind = 'emergency-credit'
    GROUP BY a.id HAVING a.emergency_credit_fen <> COALESCE(SUM(l.amount_fen), 0) LIMIT 1000`);
  const counts = db.prepare(`SELECT (SELECT COUNT(*) FROM accounts) AS accounts, (SELECT COUNT(*) FROM ledger_entries) AS entries,
    (SELECT COUNT(*) FROM payments) AS payments`);

  return {
    appendEntry(entry: Omit<LedgerEntryRow, 'id'>): number {
      return insertEntry(entry);
    },
    entries(accountId: string, afterId: number, limit: number): LedgerEntryRow[] {
      return entriesPage.all(accountId, afterId, limit) as LedgerEntryRow[];
    },
    /** Entries newest first, older than `beforeId` (the console's latest entries). */
    entriesNewestFirst(accountId: string, beforeId: number, limit: number): LedgerEntryRow[] {
      return entriesNewestFirst.all(accountId, beforeId, limit) as LedgerEntryRow[];
    },
    /** The entries a payment caused (its payment entry, any emergency-credit repayment, its reversal). */
    entriesOfPayment(accountId: string, paymentId: string): LedgerEntryRow[] {
      return entriesOfPayment.all(accountId, paymentId) as LedgerEntryRow[];
    },
    /** Consumption charged (fen, net of re-attribution credits) by entries created at or after `since`. */
    consumptionChargedSince(accountId: string, since: number): number {
      let charged = 0;
      for (const row of recentNewestFirst.iterate(accountId) as IterableIterator<{ kind: string; amountFen: number; createdAt: number }>) {
        if (row.createdAt < since) break;
        if (row.kind === 'consumption') charged -= row.amountFen;
      }
      return charged;
    },
    /** The account's consumption entries, oldest first (the energy reconciliation). */
    consumptionEntries(accountId: string): LedgerEntryRow[] {
      return consumptionOf.all(accountId) as LedgerEntryRow[];
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
    /** Every rule the ledger keeps, checked over every account; at most 1,000 findings per rule. */
    checkAll(): { accounts: number; entries: number; payments: number; violations: LedgerViolation[] } {
      const violations: LedgerViolation[] = [];
      for (const r of mismatches.all() as Array<{ accountId: string; cachedFen: number; ledgerFen: number }>) {
        violations.push({ rule: 'balance', accountId: r.accountId, detail: { cachedFen: r.cachedFen, ledgerFen: r.ledgerFen } });
      }
      for (const r of runningMismatches.all() as Array<{ accountId: string; id: number; balanceAfterFen: number; runningFen: number }>) {
        violations.push({ rule: 'running-balance', accountId: r.accountId, detail: { entryId: r.id, balanceAfterFen: r.balanceAfterFen, runningFen: r.runningFen } });
      }
      for (const r of paymentMismatches.all() as Array<Record<string, unknown> & { accountId: string }>) {
        const { accountId, ...detail } = r;
        violations.push({ rule: 'payment-entries', accountId, detail });
      }
      for (const r of emergencyMismatches.all() as Array<{ accountId: string; outstandingFen: number; ledgerFen: number }>) {
        violations.push({ rule: 'emergency-credit', accountId: r.accountId, detail: { outstandingFen: r.outstandingFen, ledgerFen: r.ledgerFen } });
      }
      return { ...(counts.get() as { accounts: number; entries: number; payments: number }), violations };
    },
  };
}

export type LedgerRepository = ReturnType<typeof ledgerRepository>;
