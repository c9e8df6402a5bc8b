// The decision trace for a person: what the engine decided for a supply point and everything it
// weighed — balance and levels, every no-cut window that applies, holds, protected, the last warning and when
// grace ends, the command in flight, relay safety — with every condition met or not.
import { graceEndsOf, traceOf, type TraceStep } from '../domain/policy.js';
import type { Evaluation } from './evaluate.js';
import type { CalendarSource } from '../domain/holiday-calendar.js';
import type { CommandAction, CommandOrigin, CommandOutcome, CommandState, HoldKind, RelayState } from '../domain/codes.js';

type Time = (ms: number | null) => string | null;

export interface WhyView {
  accountId: string;
  meterId: string;
  at: string | null;
  action: string;
  desired: string;
  rule: string;
  reasonCode: string;
  reason: string;
  balanceFen: number;
  levels: { alarmLevel1Fen: number; alarmLevel2Fen: number; cutoffLevelFen: number; restoreLevelFen: number };
  relay: { state: RelayState; at: string | null };
  window: { noCut: boolean; reason: string | null; windows: string[]; provisional: boolean; calendar: CalendarSource | null };
  holds: Array<{ id: string; kind: HoldKind; scope: string; actor: string; reason: string; createdAt: string | null; expiresAt: string | null }>;
  protected: boolean;
  creditGrade: string;
  graceMs: number;
  lastWarning: { alarmLevel2At: string | null; graceEndsAt: string | null };
  pendingCommand: { id: string; action: CommandAction; state: CommandState; outcome: CommandOutcome | null; attempts: number; createdAt: string | null; expiresAt: string | null; lastError: string | null } | null;
  operator: { lastRelayCommand: { id: string; action: CommandAction; origin: CommandOrigin; state: CommandState; actor: string; createdAt: string | null } | null; latestPaymentAt: string | null };
  relaySafety: {
    disconnectAllowed: boolean; reason: string; limit: string | null; operationsLast24h: number; switchingsInWindow: number;
    flapping: boolean; nextAllowedAt: string | null; fault: string | null;
  } | null;
  trace: TraceStep[];
}

export function whyView(ev: Evaluation, time: Time): WhyView {
  const { row, input, decision, safety, active, lastRelay } = ev;
  return {
    accountId: row.accountId,
    meterId: row.meterId,
    at: time(input.now),
    action: decision.action, desired: decision.desired, rule: decision.rule, reasonCode: decision.reasonCode, reason: decision.reason,
    balanceFen: row.balanceFen,
    levels: { alarmLevel1Fen: row.alarmLevel1Fen, alarmLevel2Fen: row.alarmLevel2Fen, cutoffLevelFen: row.cutoffLevelFen, restoreLevelFen: row.restoreLevelFen },
    relay: { state: row.relayState, at: time(row.relayStateAt) },
    window: {
      noCut: input.noCut.noCut, reason: input.noCut.reason ?? null, windows: input.noCut.windows ?? [],
      provisional: input.noCut.provisional ?? false, calendar: input.noCut.calendar ?? null,
    },
    holds: ev.holds.map((h) => ({ id: h.id, kind: h.kind, scope: h.scope, actor: h.actor, reason: h.reason, createdAt: time(h.createdAt), expiresAt: time(h.expiresAt) })),
    protected: input.protected,
    creditGrade: row.creditGrade,
    graceMs: input.graceMs,
    lastWarning: { alarmLevel2At: time(input.alarm2At), graceEndsAt: time(graceEndsOf(input)) },
    pendingCommand: active
      ? { id: active.id, action: active.action, state: active.state, outcome: active.outcome, attempts: active.attempts, createdAt: time(active.createdAt), expiresAt: time(active.expiresAt), lastError: active.lastError }
      : null,
    operator: {
      lastRelayCommand: lastRelay
        ? { id: lastRelay.id, action: lastRelay.action, origin: lastRelay.origin, state: lastRelay.state, actor: lastRelay.actor, createdAt: time(lastRelay.createdAt) }
        : null,
      latestPaymentAt: time(input.latestPaymentAt ?? null),
    },
    relaySafety: safety
      ? {
        disconnectAllowed: safety.disconnectAllowed, reason: safety.reason, limit: safety.limit, operationsLast24h: safety.operationsLast24h,
        switchingsInWindow: safety.switchingsInWindow, flapping: safety.flapping, nextAllowedAt: time(safety.nextAllowedAt), fault: ev.fault ?? null,
      }
      : null,
    trace: traceOf(input),
  };
}
