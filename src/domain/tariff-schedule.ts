// An account's tariff over time and the charging segments it cuts time into. A segment is one
// tariff over one stretch of time within which charges are computed on cumulative energy:
//
//   assignments   |—— flat-0.5283 ——|———————— tiered (annual ladder) ————————|
//   periods                          |— 2026 ladder year —|— 2027 ladder year —|
//   segments      |———— A ————|—— B ——|———— C ————————|———— D ————————|
//
// A reading's consumption (the energy since the reading before it) belongs to the segment that
// contains the reading's time; a tariff change therefore takes effect at its time and never
// re-prices what was charged before it. A tiered segment that starts mid-period (a tariff change)
// continues the ladder from the energy already used in that period. Pure.
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

/** The charging segment containing `at`. */
export function segmentAt(schedule: Assignment[], at: number, utcOffsetMinutes: number): ChargingSegment {
  let i = 0;
  while (i + 1 < schedule.length && schedule[i + 1]!.from <= at) i++;
  const assignment = schedule[i]!;
  const until = i + 1 < schedule.length ? schedule[i + 1]!.from : FOREVER;
  const { tariff } = assignment;
  let period: Period = { start: -FOREVER, end: FOREVER };
  if (tariff.kind === 'tiered') period = periodAt(at, tariff, utcOffsetMinutes);
  else if (tariff.kind === 'tou') period = periodAt(at, { period: tariff.period ?? 'month', resetDay: tariff.resetDay, resetMonth: tariff.resetMonth }, utcOffsetMinutes);
  const start = Math.max(assignment.from, period.start);
  const end = Math.min(until, period.end);
  return {
    start, end, tariffId: assignment.tariffId, tariff,
    ladderStart: tariff.kind === 'tiered' ? period.start : start,
    key: `${assignment.tariffId}@${start}`,
  };
}
