// Adjustments (调账): an administrator's correction of an account's balance, up or down, always
// with a reason and an actor, written to the ledger, the outbox and the audit trail in one
// transaction.
import type { Repositories } from '../db/repo/index.js';
import { AppError } from '../errors.js';
import { applyEntry } from './ledger.js';

export interface AdjustmentInput {
  accountId: string;
  /** fen, positive credits the account, negative debits it; never zero */
  amountFen: number;
  reason: string;
  actor: string;
}

export interface PostedAdjustment {
  entryId: number;
  accountId: string;
  amountFen: number;
  balanceFen: number;
}

export function postAdjustment(repos: Repositories, input: AdjustmentInput, now: number): PostedAdjustment {
  if (!Number.isSafeInteger(input.amountFen) || input.amountFen === 0) {
    throw new AppError('VALIDATION', `amountFen must be a non-zero integer number of fen (got ${input.amountFen})`, { field: 'amountFen' });
  }
  const reason = input.reason.trim();
  if (reason.length < 3) throw new AppError('VALIDATION', 'an adjustment needs a reason (at least 3 characters)', { field: 'reason' });
  return repos.transaction(() => {
    if (!repos.accounts.get(input.accountId)) throw new AppError('ACCOUNT_NOT_FOUND', `account ${input.accountId} does not exist`);
    const entry = applyEntry(repos, { accountId: input.accountId, kind: 'adjustment', amountFen: input.amountFen, actor: input.actor, at: now, reason });
    repos.journal.appendEvent('adjustment-posted', input.accountId, null, {
      entryId: entry.entryId, amountFen: input.amountFen, reason, actor: input.actor, balanceFen: entry.balanceFen,
    }, now);
    repos.journal.audit(input.actor, 'adjustment-posted', input.accountId, { entryId: entry.entryId, amountFen: input.amountFen, reason }, now);
    return { entryId: entry.entryId, accountId: input.accountId, amountFen: input.amountFen, balanceFen: entry.balanceFen };
  });
}
