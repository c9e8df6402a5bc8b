// Appends ledger entries and keeps the cached balance and the alarm state in step, in the caller's
// transaction. Every change of balance goes through `applyEntry`.
import type { Repositories, LedgerKind } from '../db/repo/index.js';
import { alarmTransition, type AlarmState } from '../domain/thresholds.js';

export interface EntryInput {
  accountId: string;
  kind: LedgerKind;
  amountFen: number;
  actor: string;
  at: number;
  paymentId?: string;
  meterId?: string;
  energyWh?: number;
  reason?: string;
}

export interface EntryResult {
  entryId: number;
  balanceFen: number;
  /** outbox events written with the entry */
  events: Array<{ id: number; type: string }>;
}

export function applyEntry(repos: Repositories, input: EntryInput): EntryResult {
  if (!Number.isSafeInteger(input.amountFen)) throw new RangeError(`amount ${input.amountFen} fen is not an integer`);
  const account = repos.accounts.get(input.accountId);
  if (!account) throw new RangeError(`account ${input.accountId} does not exist`);
  const balanceFen = repos.accounts.addToBalance(input.accountId, input.amountFen);
  const entryId = repos.ledger.appendEntry({
    accountId: input.accountId,
    kind: input.kind,
    amountFen: input.amountFen,
    balanceAfterFen: balanceFen,
    paymentId: input.paymentId ?? null,
    meterId: input.meterId ?? null,
    energyWh: input.energyWh ?? null,
    reason: input.reason ?? null,
    actor: input.actor,
    createdAt: input.at,
  });
  const events: EntryResult['events'] = [];
  const transition = alarmTransition(account.alarmState as AlarmState, balanceFen, account);
  if (transition.next !== account.alarmState) {
    const alarm2At = transition.next === 2 ? (account.alarm2At ?? input.at) : null;
    repos.accounts.setAlarmState(input.accountId, transition.next, alarm2At);
    for (const level of transition.raised) {
      const type = `alarm-level-${level}`;
      const threshold = level === 1 ? account.alarmLevel1Fen : account.alarmLevel2Fen;
      const id = repos.journal.appendEvent(type, input.accountId, null, { balanceFen, levelFen: threshold }, input.at);
      events.push({ id, type });
    }
    if (transition.next < account.alarmState) {
      const id = repos.journal.appendEvent('alarm-rearmed', input.accountId, null, { balanceFen, alarmState: transition.next }, input.at);
      events.push({ id, type: 'alarm-rearmed' });
    }
  }
  if (account.reviewAt !== null && balanceFen > account.cutoffLevelFen) repos.accounts.setReviewAt(input.accountId, null);
  return { entryId, balanceFen, events };
}
