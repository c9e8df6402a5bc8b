// Appends ledger entries and keeps the cached balance and the alarm state in step, in the caller's
// transaction. Every change of balance goes through `applyEntry`; the alarm events it raises go to
// the outbox in the same transaction.
import type { Repositories, LedgerKind, AccountRow } from '../db/repo/index.js';
import { alarmTransition, type AlarmState, type Levels } from '../domain/thresholds.js';
import { closeArrearsReview } from '../engine/reviews.js';

export interface EntryInput {
  accountId: string;
  kind: LedgerKind;
  amountFen: number;
  actor: string;
  at: number;
  paymentId?: string;
  meterId?: string;
  energyWh?: number;
  /** consumption: the reading interval charged and its breakdown (JSON), docs/charging.md */
  intervalFrom?: number;
  intervalTo?: number;
  breakdown?: string;
  reason?: string;
}

export interface EntryResult {
  entryId: number;
  balanceFen: number;
  /** outbox events written with the entry */
  events: Array<{ id: number; type: string }>;
}

export function applyEntry(repos: Repositories, input: EntryInput): EntryResult {
  const account = repos.accounts.get(input.accountId);
  if (!account) throw new RangeError(`account ${input.accountId} does not exist`);
  return applyEntryTo(repos, account, input);
}

/** `applyEntry` for a caller that has just read the account row in the same transaction. */
export function applyEntryTo(repos: Repositories, account: AccountRow, input: EntryInput): EntryResult {
  if (!Number.isSafeInteger(input.amountFen)) throw new RangeError(`amount ${input.amountFen} fen is not an integer`);
  const balanceFen = repos.accounts.addToBalance(input.accountId, input.amountFen);
  const entryId = repos.ledger.appendEntry({
    accountId: input.accountId,
    kind: input.kind,
    amountFen: input.amountFen,
    balanceAfterFen: balanceFen,
    paymentId: input.paymentId ?? null,
    meterId: input.meterId ?? null,
    energyWh: input.energyWh ?? null,
    intervalFrom: input.intervalFrom ?? null,
    intervalTo: input.intervalTo ?? null,
    breakdown: input.breakdown ?? null,
    reason: input.reason ?? null,
    actor: input.actor,
    createdAt: input.at,
  });
  const events = evaluateAlarms(repos, account, account, balanceFen, input.at);
  if (account.reviewAt !== null && balanceFen > account.cutoffLevelFen) {
    closeArrearsReview(repos, input.accountId, `balance ${balanceFen} fen is above the cut-off level ${account.cutoffLevelFen} fen`, input.at);
  }
  return { entryId, balanceFen, events };
}

/**
 * Moves the account's alarm state to where `balanceFen` is against `levels`: each level newly
 * reached raises its event once; a rise re-arms. Used after an entry, after levels change, when
 * an account is created and when a migration releases it; nothing moves while a migration holds it.
 */
export function evaluateAlarms(repos: Repositories, account: AccountRow, levels: Levels, balanceFen: number, at: number): Array<{ id: number; type: string }> {
  const events: Array<{ id: number; type: string }> = [];
  // A migration's hold keeps the alarm state until the operator releases it (src/migration-hold.ts).
  if (account.migration) return events;
  const transition = alarmTransition(account.alarmState as AlarmState, balanceFen, levels);
  if (transition.next === account.alarmState) return events;
  const alarm2At = transition.next === 2 ? (account.alarm2At ?? at) : null;
  repos.accounts.setAlarmState(account.id, transition.next, alarm2At);
  for (const level of transition.raised) {
    const type = `alarm-level-${level}`;
    const threshold = level === 1 ? levels.alarmLevel1Fen : levels.alarmLevel2Fen;
    events.push({ id: repos.journal.appendEvent(type, account.id, null, { balanceFen, levelFen: threshold }, at), type });
  }
  if (transition.next < account.alarmState) {
    events.push({ id: repos.journal.appendEvent('alarm-rearmed', account.id, null, { balanceFen, alarmState: transition.next }, at), type: 'alarm-rearmed' });
  }
  return events;
}

/**
 * A restore spends the warning that came before the cut-off (docs/design.md "After a restore"):
 * the alarms re-arm and are raised afresh against the balance now, so a balance still at or below
 * alarm level 2 is warned again at `at`, and the next cut-off needs a full grace period after that
 * fresh warning. Called when a reconnect is confirmed, in its transaction.
 */
export function rearmAfterRestore(repos: Repositories, accountId: string, at: number): Array<{ id: number; type: string }> {
  const account = repos.accounts.get(accountId);
  if (!account || account.alarmState === 0) return [];
  repos.accounts.setAlarmState(accountId, 0, null);
  const rearmed = { id: repos.journal.appendEvent('alarm-rearmed', accountId, null, { balanceFen: account.balanceFen, alarmState: 0, reason: 'supply restored' }, at), type: 'alarm-rearmed' };
  return [rearmed, ...evaluateAlarms(repos, { ...account, alarmState: 0, alarm2At: null }, account, account.balanceFen, at)];
}
