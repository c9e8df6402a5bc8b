// Opening balances (期初余额): the balance an account carries over from the system it is migrated
// from, written as its own ledger entry kind, once per account, by the migration that imported
// it. It is not a payment: no payment row, no channel, nothing in payment reports or
// reconciliation; the ledger check sees it as any other entry (the balance is the entries' sum).
import type { Repositories } from '../db/repo/index.js';
import { AppError } from '../errors.js';
import { applyEntry } from './ledger.js';

export type OpeningOutcome = 'posted' | 'unchanged';

/**
 * Writes the account's opening balance; the same amount again changes nothing (a re-run import),
 * another amount is refused. Call inside a transaction.
 */
export function postOpeningBalance(repos: Repositories, accountId: string, amountFen: number, actor: string, at: number): OpeningOutcome {
  if (!Number.isSafeInteger(amountFen)) throw new AppError('VALIDATION', `openingBalanceFen: ${amountFen} is not a whole number of fen`, { field: 'openingBalanceFen' });
  const existing = repos.imports.openingBalance(accountId);
  if (existing) {
    if (existing.amountFen === amountFen) return 'unchanged';
    throw new AppError('CONFLICT', `account ${accountId} already has an opening balance of ${existing.amountFen} fen (ledger entry ${existing.id}); an opening balance is set once: correct it with an adjustment`, {
      field: 'openingBalanceFen', entryId: existing.id,
    });
  }
  applyEntry(repos, { accountId, kind: 'opening-balance', amountFen, actor, at, reason: 'opening balance' });
  return 'posted';
}
