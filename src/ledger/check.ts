// The ledger check: verifies, for every account, the rules the ledger keeps — the cached balance
// is the sum of the entries, every entry's balance-after is the running sum, every payment has
// exactly one payment entry (and one reversal entry when reversed), and outstanding emergency
// credit is what the emergency-credit entries add up to. Reads one consistent snapshot.
import type { Repositories } from '../db/repo/index.js';
import type { LedgerViolation } from '../db/repo/ledger.js';

export interface LedgerCheckReport {
  ok: boolean;
  checkedAt: number;
  accounts: number;
  entries: number;
  payments: number;
  /** at most 1,000 per rule */
  violations: LedgerViolation[];
}

export function checkLedger(repos: Repositories, now: number): LedgerCheckReport {
  // A read transaction: every query sees the same snapshot while writers go on (SQLite's WAL,
  // PostgreSQL's read-only snapshot, which takes no writer lock).
  const result = repos.db.transaction(() => repos.ledger.checkAll()).deferred();
  return { ok: result.violations.length === 0, checkedAt: now, ...result };
}
