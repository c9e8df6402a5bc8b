// An account's tariff over time and the charging segments it cuts time into. A segment is one
// tariff over one stretch of time within which each part of the charge is computed on cumulative
// energy and rounded once: the tariff's period (the ladder period of a tiered tariff, the billing
// month of a flat or time-of-use one unless it names another period), cut short by tariff changes:
//
//   assignments   |—— flat-0.5283 ——————————|———————— tiered (annual ladder) ————————|
//   periods       |— Nov —|— Dec —|— Jan ——|— 2027 ladder year ——|— 2028 ladder year —|
//   segments      |—— A ——|—— B ——|—— C —|— D ——————————————————|———— E ————————————|
//
// A reading interval spanning a segment boundary is split there (docs/charging.md): each part is
// charged in its own segment, so a tariff change takes effect at its time and a ladder resets at
// its time, whenever the readings around them were taken. A tiered segment that starts mid-period
// (a tariff change) continues the ladder from the energy already used in that period. Pure.
import type { Tariff } from './tariff.js';
import { FOREVER, periodAt, type Period } from './tariff-time.js';

export interface Assignment {
  /** when this tariff takes effect (inclusive); the first assignment starts at -FOREVER */
  from: number;
  tariffId: string;
  tariff: Tariff;
}

export interface ChargingSegment extends Period {
  tariffId: string;
  tariff: Tariff;
  /** tiered: start of the ladder period (≤ start); energy between it and `start` is the prior ladder energy */
  ladderStart: number;
  /** identity of the segment, for de-duplicating */
  key: string;
}

/** The schedule: the account's own tariff since forever, then each later assignment in time order. */
export function scheduleOf(initial: { tariffId: string; tariff: Tariff }, later: Assignment[]): Assignment[] {
  const sorted = [...later].sort((a, b) => a.from - b.from);
  return [{ from: -FOREVER, tariffId: initial.tariffId, tariff: initial.tariff }, ...sorted];
}

/** The period a tariff rounds (and, tiered, counts its ladder) in; a month unless it says otherwise. */
function periodOf(tariff: Tariff, at: number, utcOffsetMinutes: number): Period {
  return periodAt(at, { period: tariff.period ?? 'month', resetDay: tariff.resetDay, resetMonth: tariff.resetMonth }, utcOffsetMinutes);
}

/** The charging segment containing `at`. */
export function segmentAt(schedule: Assignment[], at: number, utcOffsetMinutes: number): ChargingSegment {
  let i = 0;
  while (i + 1 < schedule.length && schedule[i + 1]!.from <= at) i++;
  const assignment = schedule[i]!;
  const until = i + 1 < schedule.length ? schedule[i + 1]!.from : FOREVER;
  const { tariff } = assignment;
  const period = periodOf(tariff, at, utcOffsetMinutes);
  const start = Math.max(assignment.from, period.start);
  const end = Math.min(until, period.end);
  return {
    start, end, tariffId: assignment.tariffId, tariff,
    ladderStart: tariff.kind === 'tiered' ? period.start : start,
    key: `${assignment.tariffId}@${start}`,
  };
}

/**
 * The segments whose charge depends on the meter's register between `from` and `to`: those
 * overlapping [from, to], and after them the tiered segments of the same ladder period whose
 * ladder began by `to` (their prior ladder energy depends on it). In time order.
 */
export function segmentsBetween(schedule: Assignment[], from: number, to: number, utcOffsetMinutes: number): ChargingSegment[] {
  const out: ChargingSegment[] = [];
  let s = segmentAt(schedule, from, utcOffsetMinutes);
  out.push(s);
  while (s.end < FOREVER) {
    const next = segmentAt(schedule, s.end, utcOffsetMinutes);
    if (next.start > to && !(next.ladderStart < next.start && next.ladderStart <= to)) break;
    out.push((s = next));
  }
  return out;
}
