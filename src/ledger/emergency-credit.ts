// Emergency credit (应急透支): when its money runs low an account may take a configured amount
// once; the next payment repays it first (src/ledger/payments.ts). Available when the balance is
// at or below alarm level 2 (supply at risk) and no emergency credit is outstanding.
import type { Repositories } from '../db/repo/index.js';
import { AppError } from '../errors.js';
import { applyEntry } from './ledger.js';

export interface EmergencyCreditResult {
  accountId: string;
  entryId: number;
  amountFen: number;
  balanceFen: number;
  /** emergency credit outstanding after this: what the next payment repays first */
  outstandingFen: number;
}

export function takeEmergencyCredit(repos: Repositories, accountId: string, amountFen: number, actor: string, now: number): EmergencyCreditResult {
  if (!(amountFen > 0)) throw new AppError('CONFLICT', 'emergency credit is not offered (ledger.emergencyCreditFen is 0)', { reason: 'disabled' });
  return repos.transaction(() => {
    const account = repos.accounts.get(accountId);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `account ${accountId} does not exist`);
    if (account.emergencyCreditFen > 0) {
      throw new AppError('CONFLICT', `account ${accountId} already has ${account.emergencyCreditFen} fen of emergency credit outstanding; the next payment repays it`,
        { reason: 'outstanding', outstandingFen: account.emergencyCreditFen });
    }
    if (account.balanceFen > account.alarmLevel2Fen) {
      throw new AppError('CONFLICT', `emergency credit is available at or below alarm level 2 (${account.alarmLevel2Fen} fen); the balance is ${account.balanceFen} fen`,
        { reason: 'balance-above-alarm-level-2', balanceFen: account.balanceFen, alarmLevel2Fen: account.alarmLevel2Fen });
    }
    const entry = applyEntry(repos, { accountId, kind: 'emergency-credit', amountFen, actor, at: now, reason: 'emergency credit taken' });
    repos.accounts.setEmergencyCredit(accountId, amountFen);
    repos.journal.appendEvent('emergency-credit-taken', accountId, null, { entryId: entry.entryId, amountFen, balanceFen: entry.balanceFen }, now);
    repos.journal.audit(actor, 'emergency-credit-taken', accountId, { entryId: entry.entryId, amountFen }, now);
    return { accountId, entryId: entry.entryId, amountFen, balanceFen: entry.balanceFen, outstandingFen: amountFen };
  });
}
