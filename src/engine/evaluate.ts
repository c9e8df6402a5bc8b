// Evaluating one supply point (an account and one of its meters): the decision inputs from the
// rows, the holds and the command in flight, then `decide`. The cheap inputs come from the sweep's
// rows and in-memory indexes; the ones that need a query per meter (relay history for relay
// safety, the last relay command, the latest payment) are read only when the first decision says
// something is due — they can only hold a command or a review back, never ask for one.
import type { Repositories, SupplyPointRow, HoldRow, CommandRow } from '../db/repo/index.js';
import { decide, type Decision, type DecisionInput } from '../domain/policy.js';
import type { NoCutVerdict } from '../domain/calendar.js';
import { readbackContradiction, relaySafety, type RelaySafetyConfig, type SafetyState } from '../domain/relay-safety.js';
import { holdFlags } from '../holds/hold-index.js';

export interface DecisionContext {
  now: number;
  /** local time of the decision's texts (config utcOffsetMinutes) */
  utcOffsetMinutes: number;
  noCut: NoCutVerdict;
  graceMsOf(creditGrade: string): number;
  holdsFor(meterId: string, accountId: string): HoldRow[];
  activeFor(meterId: string): CommandRow | undefined;
}

export interface Evaluation {
  row: SupplyPointRow;
  input: DecisionInput;
  decision: Decision;
  holds: HoldRow[];
  active: CommandRow | undefined;
  /** read when a command was due (or always, for an explanation) */
  safety?: SafetyState;
  lastRelay?: CommandRow | undefined;
  /** a read-back contradicting the latest confirmed relay command */
  fault?: string | null;
}

const DAY_MS = 86_400_000;
/** Review items that pause automatic cut-offs on a meter until a person resolves them. */
const PAUSING_REVIEWS = new Set(['relay-fault', 'meter-keep-power']);

export function baseInput(row: SupplyPointRow, ctx: DecisionContext, holds: HoldRow[], active: CommandRow | undefined): DecisionInput {
  const flags = holdFlags(holds);
  const pending = active && (active.action === 'disconnect' || active.action === 'reconnect') ? active.action : null;
  return {
    now: ctx.now,
    balanceFen: row.balanceFen,
    levels: row,
    protected: row.protected === 1,
    keepPowerHold: flags.keepPowerHold,
    manualOffHold: flags.manualOffHold,
    alarm2At: row.alarm2At,
    utcOffsetMinutes: ctx.utcOffsetMinutes,
    graceMs: ctx.graceMsOf(row.creditGrade),
    noCut: ctx.noCut,
    relayState: row.relayState,
    pendingAction: pending,
  };
}

/** The decision from the rows and indexes alone, with no query per meter. */
export function evaluateBase(row: SupplyPointRow, ctx: DecisionContext): Evaluation {
  const holds = ctx.holdsFor(row.meterId, row.accountId);
  const active = ctx.activeFor(row.meterId);
  const input = baseInput(row, ctx, holds, active);
  return { row, input, decision: decide(input), holds, active };
}

export function evaluateSupplyPoint(
  row: SupplyPointRow, ctx: DecisionContext, repos: Repositories, safetyConfig: RelaySafetyConfig, full = false,
): Evaluation {
  const holds = ctx.holdsFor(row.meterId, row.accountId);
  const active = ctx.activeFor(row.meterId);
  const input = baseInput(row, ctx, holds, active);
  const first = decide(input);
  if (!full && first.action === 'none') return { row, input, decision: first, holds, active };

  const lastRelay = repos.commands.lastRelay(row.meterId);
  const operatorDisconnectAt = lastRelay?.origin === 'operator' && lastRelay.action === 'disconnect' ? lastRelay.createdAt : null;
  const restoredAt = lastRelay?.action === 'reconnect' && lastRelay.state === 'confirmed' ? (lastRelay.finishedAt ?? lastRelay.createdAt) : null;
  const latestPaymentAt = repos.sweep.latestPaymentAt(row.accountId);
  // A contradiction found now pauses cut-offs at once, as the review item it raises will.
  const fault = active ? null : readbackContradiction(lastRelay ?? null, { state: row.relayState, at: row.relayStateAt }, ctx.utcOffsetMinutes);
  const openFault = repos.reviews.openForMeter(row.meterId).find((r) => PAUSING_REVIEWS.has(r.kind))?.kind ?? (fault ? 'relay-fault' : null);
  const safety = relaySafety({ operations: repos.commands.relayHistory(row.meterId, ctx.now - DAY_MS), openFault }, ctx.now, safetyConfig, ctx.utcOffsetMinutes);
  const enriched: DecisionInput = {
    ...input,
    safety: { disconnectAllowed: safety.disconnectAllowed, reason: safety.reason, overridable: safety.overridable },
    operatorDisconnectAt, restoredAt, latestPaymentAt,
  };
  return { row, input: enriched, decision: decide(enriched), holds, active, safety, lastRelay, fault };
}

/** Adds the read-back check to an evaluation that did not need the full inputs (one indexed query). */
export function withFaultCheck(ev: Evaluation, repos: Repositories): Evaluation {
  if (ev.fault !== undefined || ev.active) return ev;
  return { ...ev, fault: readbackContradiction(repos.commands.lastRelay(ev.row.meterId) ?? null, { state: ev.row.relayState, at: ev.row.relayStateAt }, ev.input.utcOffsetMinutes) };
}
