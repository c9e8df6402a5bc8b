// The engine's decision: from an account's balance, levels, flags and holds and its meter's relay
// state, the relay state it should have and why: the rules of remote prepaid control (远程费控).
// Pure and total: every input gives a decision with a rule code and a reason a person can read,
// and `traceOf` lists every condition the rules look at, met or not.
//
//   manual-off hold ─▶ supply off (keep-power hold wins over it)
//   balance > restore level ─▶ reconnect, at any hour, no grace
//   balance ≤ cut-off level ─▶ disconnect only if: no keep-power hold, warned (alarm level 2)
//       since supply was last restored, grace over, not protected (else review), outside the no-cut
//       windows, relay safety allows
// Times in reasons are in the configured local time (utcOffsetMinutes), as in every field.
import type { Levels } from './thresholds.js';
import type { NoCutVerdict } from './calendar.js';
import { localIso } from './local-time.js';

export type RelayState = 'open' | 'closed' | 'unknown';

/** What relay safety (src/domain/relay-safety.ts) says about switching supply off now. */
export interface SafetyGate {
  disconnectAllowed: boolean;
  reason: string;
  /** the block is one an operator's manual-off hold may override (minimum interval, failure backoff, open fault) */
  overridable?: boolean;
}

export interface DecisionInput {
  now: number;
  balanceFen: number;
  levels: Levels;
  protected: boolean;
  keepPowerHold: boolean;
  /** When alarm level 2 was raised and is still standing; null when not raised. */
  alarm2At: number | null;
  /** Local time of the texts (minutes east of UTC; config utcOffsetMinutes). */
  utcOffsetMinutes: number;
  graceMs: number;
  noCut: NoCutVerdict;
  relayState: RelayState;
  /** A relay command already in flight for the meter, if any. */
  pendingAction: 'disconnect' | 'reconnect' | null;
  /** An operator's manual-off hold: supply stays off whatever the balance. */
  manualOffHold?: boolean;
  /** Relay safety; absent = not yet looked at (the engine looks only when a disconnect is due). */
  safety?: SafetyGate;
  /** The meter's latest relay command is an operator's disconnect, created then: it stands until a later payment. */
  operatorDisconnectAt?: number | null;
  /** When the account's latest standing payment was committed. */
  latestPaymentAt?: number | null;
  /**
   * When supply was last restored: the meter's latest relay command is a reconnect (engine or
   * operator), confirmed then. A warning from before it does not count (docs/design.md "After a
   * restore"): a cut-off needs a fresh alarm level 2 after it and a full grace period after that.
   */
  restoredAt?: number | null;
}

export type DecisionAction = 'disconnect' | 'reconnect' | 'review' | 'none';

/** Stable codes of the rule that decided, for machines (dry run, metrics, the console). */
export const DECISION_RULES = [
  'relay-unknown',
  'manual-off-hold',
  'restore',
  'operator-override',
  'supply-on',
  'reconnect-pending',
  'between-levels',
  'supply-off',
  'keep-power-hold',
  'not-warned',
  'in-grace',
  'protected',
  'no-cut-window',
  'relay-safety',
  'cut-off',
] as const;
export type DecisionRule = (typeof DECISION_RULES)[number];

/**
 * Stable codes of the reason a person reads: the rule, or the rule's variant where one rule has
 * several sentences. The console translates them; `reason` keeps the English sentence with values.
 */
export const DECISION_REASONS = [
  'relay-unknown',
  'relay-unknown-reconnect-pending',
  'manual-off-supply-off',
  'manual-off-awaiting-relay',
  'manual-off-relay-safety',
  'manual-off-disconnect',
  'reconnect-pending',
  'supply-on',
  'operator-override',
  'restore',
  'restore-countermands-disconnect',
  'between-levels',
  'supply-off',
  'keep-power-hold',
  'not-warned',
  'not-warned-since-restore',
  'in-grace',
  'protected',
  'no-cut-window',
  'relay-safety',
  'cut-off',
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

export interface Decision {
  action: DecisionAction;
  desired: 'open' | 'closed' | 'unchanged';
  rule: DecisionRule;
  /** the code of `reason`, for translation */
  reasonCode: DecisionReason;
  reason: string;
}

/** A decision whose reason code is its rule's, or (second form) a variant of it. */
function d(action: DecisionAction, desired: Decision['desired'], rule: DecisionRule & DecisionReason, reason: string): Decision;
function d(action: DecisionAction, desired: Decision['desired'], rule: DecisionRule, reason: string, reasonCode: DecisionReason): Decision;
function d(action: DecisionAction, desired: Decision['desired'], rule: DecisionRule, reason: string, reasonCode?: DecisionReason): Decision {
  return { action, desired, rule, reasonCode: reasonCode ?? (rule as DecisionReason), reason };
}

/** The warning a cut-off may rest on: alarm level 2, raised since supply was last restored; else null. */
export function warningOf(input: DecisionInput): number | null {
  if (input.alarm2At === null) return null;
  const restoredAt = input.restoredAt ?? null;
  return restoredAt !== null && input.alarm2At < restoredAt ? null : input.alarm2At;
}

/** When the grace period ends: a full grace after the warning that counts. */
export function graceEndsOf(input: DecisionInput): number | null {
  const warnedAt = warningOf(input);
  return warnedAt === null ? null : warnedAt + input.graceMs;
}

export function decide(input: DecisionInput): Decision {
  const { balanceFen, levels, relayState, pendingAction } = input;
  const iso = (ms: number) => localIso(ms, input.utcOffsetMinutes);
  if (relayState === 'unknown' && pendingAction === null) {
    return d('none', 'unchanged', 'relay-unknown', 'relay state not read yet');
  }
  if (input.manualOffHold && !input.keepPowerHold) {
    if (relayState === 'open' || pendingAction === 'disconnect') return d('none', 'open', 'manual-off-hold', 'manual-off hold: supply stays off', 'manual-off-supply-off');
    if (relayState === 'unknown') return d('none', 'open', 'manual-off-hold', 'manual-off hold: waiting for the relay state before switching', 'manual-off-awaiting-relay');
    if (input.safety && !input.safety.disconnectAllowed && !input.safety.overridable) {
      return d('none', 'open', 'relay-safety', `manual-off hold, but ${input.safety.reason}`, 'manual-off-relay-safety');
    }
    return d('disconnect', 'open', 'manual-off-hold', 'manual-off hold: supply must be off', 'manual-off-disconnect');
  }
  if (balanceFen > levels.restoreLevelFen) {
    // Restore at any hour: no window, no grace, no relay-safety gate (supply on is the safe side).
    if (pendingAction === 'reconnect') return d('none', 'closed', 'reconnect-pending', 'balance above restore level; reconnect in flight');
    if (relayState === 'closed' && pendingAction !== 'disconnect') return d('none', 'closed', 'supply-on', 'balance above restore level; supply on');
    const byOperator = input.operatorDisconnectAt ?? null;
    const paidAt = input.latestPaymentAt ?? null;
    if (byOperator !== null && (paidAt === null || paidAt < byOperator)) {
      return d('none', 'open', 'operator-override',
        `disconnected by an operator at ${iso(byOperator)}; supply returns after a payment made since or an operator reconnect`);
    }
    const what = pendingAction === 'disconnect' ? ' (countermands the pending disconnect)' : '';
    return d('reconnect', 'closed', 'restore', `balance ${balanceFen} fen above restore level ${levels.restoreLevelFen} fen${what}`,
      pendingAction === 'disconnect' ? 'restore-countermands-disconnect' : 'restore');
  }
  if (balanceFen > levels.cutoffLevelFen) {
    return d('none', 'unchanged', 'between-levels',
      `balance ${balanceFen} fen between cut-off level ${levels.cutoffLevelFen} fen and restore level ${levels.restoreLevelFen} fen`);
  }
  // At or below the cut-off level.
  if (relayState === 'open' || pendingAction === 'disconnect') {
    return d('none', 'open', 'supply-off', 'balance at or below cut-off level; supply already off');
  }
  if (relayState === 'unknown') return d('none', 'unchanged', 'relay-unknown', 'relay state not read yet; a reconnect is in flight', 'relay-unknown-reconnect-pending');
  if (input.keepPowerHold) return d('none', 'unchanged', 'keep-power-hold', 'keep-power hold applies');
  if (input.alarm2At === null) return d('none', 'unchanged', 'not-warned', 'alarm level 2 not sent yet');
  const warnedAt = warningOf(input);
  if (warnedAt === null) {
    return d('none', 'unchanged', 'not-warned', `alarm level 2 not sent since supply was restored at ${iso(input.restoredAt!)} (the warning at ${iso(input.alarm2At)} came before it)`, 'not-warned-since-restore');
  }
  const graceEnds = warnedAt + input.graceMs;
  if (input.now < graceEnds) return d('none', 'unchanged', 'in-grace', `grace period runs until ${iso(graceEnds)}`);
  if (input.protected) return d('review', 'unchanged', 'protected', 'protected customer at cut-off level: manual review');
  if (input.noCut.noCut) return d('none', 'unchanged', 'no-cut-window', `no-cut window: ${input.noCut.reason ?? 'configured'}`);
  if (input.safety && !input.safety.disconnectAllowed) return d('none', 'unchanged', 'relay-safety', input.safety.reason);
  return d('disconnect', 'open', 'cut-off',
    `balance ${balanceFen} fen at or below cut-off level ${levels.cutoffLevelFen} fen, warned at ${iso(warnedAt)}`);
}

/** Stable codes of the conditions `traceOf` lists, in the order they are weighed. */
export const TRACE_CHECKS = [
  'relay-state-known',
  'no-manual-off-hold',
  'above-restore-level',
  'at-or-below-cutoff-level',
  'no-keep-power-hold',
  'alarm-level-2-sent',
  'grace-over',
  'not-protected',
  'outside-no-cut-windows',
  'relay-safety-allows',
  'no-command-in-flight',
] as const;
export type TraceCheck = (typeof TRACE_CHECKS)[number];

export interface TraceStep {
  /** the condition's code, for translation; `check` is its English name */
  code: TraceCheck;
  check: string;
  /** true when the condition lets a cut-off go ahead (or, for the restore check, a restore) */
  passed: boolean;
  detail: string;
}

/** Every condition the rules look at, in the order they are weighed, met or not. */
export function traceOf(input: DecisionInput): TraceStep[] {
  const { balanceFen, levels } = input;
  const graceEnds = graceEndsOf(input);
  const iso = (ms: number) => localIso(ms, input.utcOffsetMinutes);
  const warnedAt = warningOf(input);
  const warning = input.alarm2At === null ? 'not sent'
    : warnedAt === null ? `sent at ${iso(input.alarm2At)}, before supply was restored at ${iso(input.restoredAt!)}: spent` : `sent at ${iso(warnedAt)}`;
  return [
    { code: 'relay-state-known', check: 'relay state known', passed: input.relayState !== 'unknown', detail: `relay ${input.relayState}` },
    { code: 'no-manual-off-hold', check: 'no manual-off hold', passed: !input.manualOffHold, detail: input.manualOffHold ? 'manual-off hold in force' : 'none' },
    { code: 'above-restore-level', check: 'balance above restore level', passed: balanceFen > levels.restoreLevelFen, detail: `${balanceFen} fen vs restore level ${levels.restoreLevelFen} fen` },
    { code: 'at-or-below-cutoff-level', check: 'balance at or below cut-off level', passed: balanceFen <= levels.cutoffLevelFen, detail: `${balanceFen} fen vs cut-off level ${levels.cutoffLevelFen} fen` },
    { code: 'no-keep-power-hold', check: 'no keep-power hold', passed: !input.keepPowerHold, detail: input.keepPowerHold ? 'keep-power hold in force' : 'none' },
    { code: 'alarm-level-2-sent', check: 'alarm level 2 sent', passed: warnedAt !== null, detail: warning },
    { code: 'grace-over', check: 'grace period over', passed: graceEnds !== null && input.now >= graceEnds,
      detail: graceEnds === null ? `grace ${input.graceMs} ms starts with alarm level 2` : `grace ${input.graceMs} ms ends ${iso(graceEnds)}` },
    { code: 'not-protected', check: 'not protected', passed: !input.protected, detail: input.protected ? 'protected customer: review instead of cut-off' : 'not protected' },
    { code: 'outside-no-cut-windows', check: 'outside no-cut windows', passed: !input.noCut.noCut, detail: input.noCut.noCut ? `in window: ${input.noCut.reason ?? 'configured'}` : 'no window applies' },
    { code: 'relay-safety-allows', check: 'relay safety allows a cut-off', passed: input.safety?.disconnectAllowed ?? true, detail: input.safety?.reason ?? 'not checked' },
    { code: 'no-command-in-flight', check: 'no command in flight', passed: input.pendingAction === null, detail: input.pendingAction ?? 'none' },
  ];
}
