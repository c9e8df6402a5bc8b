// The attribution rule (docs/charging.md "How a reading is charged"): the energy between two
// readings is spread uniformly over the interval's time unless better data exists, so a
// cumulative register has a value at every instant between readings — the value at a reading is
// measured, between two readings it is estimated by linear interpolation, rounded half up to a
// whole Wh. A reading interval is split at every charging-segment boundary (a period reset, a
// tariff change) and, with a single register on a time-of-use tariff, at every band edge; each
// piece is the difference of the register's values at its ends, so the pieces of an interval add
// up exactly to its energy. Pure.
//
//   register   a ●━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━● b
//   time        21:00          22:00 (band edge)        23:30
//   value      a.wh       a.wh + (b−a)·60/150            b.wh
//   pieces     |——— peak: estimated ———|——— valley: estimated ———|
import type { ChargingSegment } from './tariff-schedule.js';
import { bandIntervals } from './tariff-time.js';

/** A register value at a time. */
export interface Sample {
  ts: number;
  wh: number;
}

/**
 * The register at `t` between the readings `a` (at or before `t`) and `b` (after it): `a`'s value
 * at `a`'s time, otherwise the straight line from `a` to `b`, rounded half up to a Wh. A register
 * that fell between them stays at `a`'s value (a fall is never charged: it raised an event).
 */
export function interpolateWh(a: Sample, b: Sample, t: number): number {
  if (t <= a.ts || b.wh <= a.wh) return a.wh;
  if (t >= b.ts) return b.wh;
  const span = BigInt(b.ts - a.ts);
  const num = BigInt(b.wh - a.wh) * BigInt(t - a.ts);
  return a.wh + Number((2n * num + span) / (2n * span));
}

/** A part of a segment by its identity: the segment's key and the part ("all", "tier-2", "peak"). */
export const partKey = (segmentKey: string, part: string): string => `${segmentKey}|${part}`;
const wholeSegment = (segmentKey: string): string => `${segmentKey}|*`;

/** Which reading intervals the rule splits by time, and the parts whose energy is therefore estimated. */
export interface Splits {
  /** the later reading time of each interval that was split */
  splitEnds: number[];
  /** part keys (and `segment|*` for every part of a segment) that got energy from a split interval */
  estimated: Set<string>;
}

/** True when the part's energy came from an interval split by time. */
export function isEstimated(splits: Splits, segmentKey: string, part: string): boolean {
  return splits.estimated.has(wholeSegment(segmentKey)) || splits.estimated.has(partKey(segmentKey, part));
}

/**
 * The splits of the intervals between successive reading `times` (sorted): an interval is split
 * when a segment boundary lies strictly inside it, or, on a time-of-use tariff charged by time
 * (`byRegisters` false), a band edge does. A reading exactly at a boundary needs no split.
 * `segments` must cover the times (segmentsBetween).
 */
export function splitsOf(times: number[], segments: ChargingSegment[], byRegisters: boolean, utcOffsetMinutes: number): Splits {
  const splits: Splits = { splitEnds: [], estimated: new Set() };
  // One segment, not charged by band: nothing inside it splits an interval (the usual case).
  const only = segments.length === 1 ? segments[0]! : null;
  if (only && (only.tariff.kind !== 'tou' || byRegisters) && only.start <= times[0]! && only.end >= times[times.length - 1]!) return splits;
  for (let i = 0; i + 1 < times.length; i++) {
    const x = times[i]!;
    const y = times[i + 1]!;
    if (y <= x) continue;
    const over = segments.filter((s) => s.start < y && s.end > x);
    const acrossSegments = over.some((s) => (s.start > x && s.start < y) || (s.end > x && s.end < y));
    let split = acrossSegments;
    for (const s of over) {
      if (s.tariff.kind === 'tou' && !byRegisters) {
        const runs = bandIntervals(s.tariff, Math.max(x, s.start), Math.min(y, s.end), utcOffsetMinutes);
        if (runs.length > 1) split = true;
        if (runs.length > 1 || acrossSegments) for (const r of runs) splits.estimated.add(partKey(s.key, r.band));
      } else if (acrossSegments) {
        splits.estimated.add(wholeSegment(s.key));
      }
    }
    if (split) splits.splitEnds.push(y);
  }
  return splits;
}
