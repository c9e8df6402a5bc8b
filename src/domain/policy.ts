// The engine's decision: from an account's balance, levels, flags and holds and its meter's relay
// state, the relay state it should have and why (DESIGN.md "The cut-off / restore engine").
// Pure and total: every input gives a decision with a trace a person can read.
import type { Levels } from './thresholds.js';
import type { NoCutVerdict } from './calendar.js';

export type RelayState = 'open' | 'closed' | 'unknown';

export interface DecisionInput {
  now: number;
  balanceFen: number;
  levels: Levels;
  protected: boolean;
  keepPowerHold: boolean;
  /** When alarm level 2 was raised and is still standing; null when not raised. */
  alarm2At: number | null;
  graceMs: number;
  noCut: NoCutVerdict;
  relayState: RelayState;
  /** A command already in flight for the meter, if any. */
  pendingAction: 'disconnect' | 'reconnect' | null;
}

export type DecisionAction = 'disconnect' | 'reconnect' | 'review' | 'none';

export interface Decision {
  action: DecisionAction;
  desired: 'open' | 'closed' | 'unchanged';
  reason: string;
}

export function decide(input: DecisionInput): Decision {
  const { balanceFen, levels } = input;
  if (input.relayState === 'unknown' && input.pendingAction === null) {
    return { action: 'none', desired: 'unchanged', reason: 'relay state not read yet' };
  }
  if (balanceFen > levels.restoreLevelFen) {
    // Restore at any hour: no window, no grace.
    if (input.relayState === 'closed' || input.pendingAction === 'reconnect') {
      return { action: 'none', desired: 'closed', reason: 'balance above restore level; supply on' };
    }
    return { action: 'reconnect', desired: 'closed', reason: `balance ${balanceFen} fen above restore level ${levels.restoreLevelFen} fen` };
  }
  if (balanceFen > levels.cutoffLevelFen) {
    return { action: 'none', desired: 'unchanged', reason: `balance ${balanceFen} fen between cut-off level ${levels.cutoffLevelFen} and restore level ${levels.restoreLevelFen}` };
  }
  // At or below the cut-off level.
  if (input.relayState === 'open' || input.pendingAction === 'disconnect') {
    return { action: 'none', desired: 'open', reason: 'balance at or below cut-off level; supply already off' };
  }
  if (input.keepPowerHold) return { action: 'none', desired: 'unchanged', reason: 'keep-power hold applies' };
  if (input.alarm2At === null) return { action: 'none', desired: 'unchanged', reason: 'alarm level 2 not sent yet' };
  const graceEnds = input.alarm2At + input.graceMs;
  if (input.now < graceEnds) {
    return { action: 'none', desired: 'unchanged', reason: `grace period runs until ${new Date(graceEnds).toISOString()}` };
  }
  if (input.noCut.noCut) return { action: 'none', desired: 'unchanged', reason: `no-cut window: ${input.noCut.reason ?? 'configured'}` };
  if (input.protected) return { action: 'review', desired: 'unchanged', reason: 'protected customer at cut-off level: manual review' };
  return {
    action: 'disconnect',
    desired: 'open',
    reason: `balance ${balanceFen} fen at or below cut-off level ${levels.cutoffLevelFen} fen, warned at ${new Date(input.alarm2At).toISOString()}`,
  };
}
