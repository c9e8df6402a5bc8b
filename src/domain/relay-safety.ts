// Relay safety: limits on how often one meter's relay is switched, and the read-backs that
// contradict the commands given. Pure: the caller passes the meter's recent command history.
//
// Only switching supply off is ever held back: supply on is the safe side, and a reconnect can
// only follow a disconnect, so limiting disconnects bounds every switching.
//   minimum interval  no disconnect sooner than `minIntervalMs` after the last relay operation
//   daily cap         no more than `dailyCap` relay commands sent in any 24 hours
//   flapping guard    `flapMaxSwitchings` confirmed switchings within `flapWindowMs` → hold on
//                     (keep supply) and ask a person to look
//   failure backoff   no automatic disconnect sooner than `failureBackoffMs` after one failed
//   open fault        a relay fault or a meter-side keep-power under review pauses cut-offs
import { localIso } from './local-time.js';

export interface RelaySafetyConfig {
  minIntervalMs: number;
  dailyCap: number;
  flapWindowMs: number;
  flapMaxSwitchings: number;
  failureBackoffMs: number;
}

/** One relay command (disconnect or reconnect) of the meter, newest first in the history. */
export interface RelayOperation {
  action: 'disconnect' | 'reconnect';
  state: string;
  sentAt: number | null;
  finishedAt: number | null;
  origin: string;
}

export interface RelayHistory {
  /** relay commands created in the last 24 hours and any still active, newest first */
  operations: RelayOperation[];
  /** kind of an open review item that pauses automatic cut-offs on this meter, if any */
  openFault: string | null;
}

/** Stable codes of the limits that can hold a cut-off back, in the order they are looked at. */
export const SAFETY_LIMITS = ['open-fault', 'flapping', 'daily-cap', 'min-interval', 'failure-backoff'] as const;
export type SafetyLimit = (typeof SAFETY_LIMITS)[number];

export interface SafetyState {
  disconnectAllowed: boolean;
  reason: string;
  /** relay commands sent in the last 24 hours */
  operationsLast24h: number;
  /** confirmed switchings within the flap window */
  switchingsInWindow: number;
  flapping: boolean;
  /** which limit holds the cut-off back, if any */
  limit: SafetyLimit | null;
  /** an operator's manual-off hold may go ahead despite this limit (it protects against automatic hammering only) */
  overridable: boolean;
  /** when a disconnect next becomes allowed by time alone, or null */
  nextAllowedAt: number | null;
}

const DAY_MS = 86_400_000;

/** `utcOffsetMinutes`: the local time the reasons write times in (config utcOffsetMinutes). */
export function relaySafety(history: RelayHistory, now: number, config: RelaySafetyConfig, utcOffsetMinutes = 0): SafetyState {
  const sent = history.operations.filter((o) => o.sentAt !== null && o.sentAt > now - DAY_MS);
  const switchings = history.operations.filter((o) => o.state === 'confirmed' && o.finishedAt !== null && o.finishedAt > now - config.flapWindowMs);
  const base = { operationsLast24h: sent.length, switchingsInWindow: switchings.length };
  const flapping = switchings.length >= config.flapMaxSwitchings;
  const blocked = (limit: NonNullable<SafetyState['limit']>, reason: string, nextAllowedAt: number | null): SafetyState => ({
    ...base, disconnectAllowed: false, reason, flapping, limit, nextAllowedAt,
    overridable: limit === 'open-fault' || limit === 'min-interval' || limit === 'failure-backoff',
  });

  if (history.openFault !== null) return blocked('open-fault', `relay safety: open review item (${history.openFault}) pauses automatic cut-offs`, null);
  if (flapping) {
    const oldest = switchings[switchings.length - 1]!.finishedAt!;
    return blocked('flapping', `relay safety: flapping, ${switchings.length} switchings within ${config.flapWindowMs} ms`, oldest + config.flapWindowMs);
  }
  if (sent.length >= config.dailyCap) {
    const oldest = Math.min(...sent.map((o) => o.sentAt!));
    return blocked('daily-cap', `relay safety: daily cap of ${config.dailyCap} relay commands reached`, oldest + DAY_MS);
  }
  const last = Math.max(-Infinity, ...history.operations.map((o) => o.finishedAt ?? o.sentAt ?? -Infinity));
  if (Number.isFinite(last) && now < last + config.minIntervalMs) {
    return blocked('min-interval', `relay safety: minimum interval of ${config.minIntervalMs} ms since the last relay operation`, last + config.minIntervalMs);
  }
  const failed = history.operations.find((o) => o.action === 'disconnect' && o.state === 'failed' && o.finishedAt !== null);
  if (failed && now < failed.finishedAt! + config.failureBackoffMs) {
    return blocked('failure-backoff', `relay safety: a disconnect failed at ${localIso(failed.finishedAt!, utcOffsetMinutes)}; backing off`, failed.finishedAt! + config.failureBackoffMs);
  }
  return { ...base, disconnectAllowed: true, reason: 'relay safety allows a cut-off', flapping: false, limit: null, overridable: true, nextAllowedAt: null };
}

export interface LatestRelayCommand {
  action: string;
  state: string;
  finishedAt: number | null;
}

/**
 * A read-back that contradicts the meter's latest relay command, or null. Only a confirmed latest
 * command counts (a failed or expired attempt after it makes either state plausible), and only
 * read-backs taken after it was confirmed.
 */
export function readbackContradiction(
  latest: LatestRelayCommand | null,
  relay: { state: 'open' | 'closed' | 'unknown'; at: number | null },
  utcOffsetMinutes = 0,
): string | null {
  if (!latest || latest.state !== 'confirmed' || latest.finishedAt === null || relay.at === null || relay.at <= latest.finishedAt) return null;
  const when = (ms: number) => localIso(ms, utcOffsetMinutes);
  if (latest.action === 'disconnect' && relay.state === 'closed') {
    return `relay reads closed at ${when(relay.at)} after a confirmed disconnect at ${when(latest.finishedAt)} with no reconnect`;
  }
  if (latest.action === 'reconnect' && relay.state === 'open') {
    return `relay reads open at ${when(relay.at)} after a confirmed reconnect at ${when(latest.finishedAt)} with no disconnect`;
  }
  return null;
}
