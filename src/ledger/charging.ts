// The energy and the charge of charging segments (src/domain/tariff-schedule.ts), read from the
// stored readings under the attribution rule (src/domain/attribution.ts, docs/charging.md). The
// charge of a meter is a function of its set of readings only — per segment and part, a charge
// on the part's cumulative energy — so the order readings arrive in cannot change it: a new
// reading changes only the segments its interval touches, and the ledger is charged the
// difference.
//
//   register  ─────●──────────●────────●──────────────●───────▶ time
//                  base       a        r (late)       b
//   segment   |······ S1 ··········|········· S2 ·············|
//   before r: a→b split at the S1/S2 boundary by time; after: a→r and r→b, each split where it spans one
//
// The total register is read through its envelope: never below the charging base (the earliest
// reading) nor above the highest register charged, and after the latest reading it stays at the
// highest charged, so a register that went backwards (raised as an event when it arrived) neither
// charges nor refunds anything.
import type { Repositories } from '../db/repo/index.js';
import type { Around } from '../db/repo/tariffs.js';
import { noBandEnergy, segmentParts, type PartCharge, type SegmentEnergy, type TouBand } from '../domain/tariff.js';
import { bandIntervals } from '../domain/tariff-time.js';
import type { ChargingSegment } from '../domain/tariff-schedule.js';
import { interpolateWh, partKey, type Sample } from '../domain/attribution.js';

/** The meter's total-register envelope. */
export interface Envelope {
  /** register at the earliest reading (the charging base) */
  baseWh: number;
  /** highest register charged */
  chargedWh: number;
  /** time of the latest reading */
  lastTs: number;
}

type Reading = { ts: number; energyWh: number };

export interface ChargingView {
  repos: Repositories;
  meterId: string;
  envelope: Envelope;
  /** time-of-use by the meter's own per-tariff registers (else by the reading times' bands) */
  byRegisters: boolean;
  utcOffsetMinutes: number;
  /**
   * Lookups of the readings around t for t < `before`, shared by the views before and after a
   * change whose readings all lie after `before` (the reading before them): it cannot change them.
   */
  stable?: { before: number; around: Map<number, Around<Reading>> };
}

function around(view: ChargingView, t: number): Around<Reading> {
  const { stable } = view;
  if (!stable || t >= stable.before) return view.repos.tariffs.around(view.meterId, t);
  let found = stable.around.get(t);
  if (!found) stable.around.set(t, (found = view.repos.tariffs.around(view.meterId, t)));
  return found;
}

const clampWh = (env: Envelope, wh: number) => Math.min(env.chargedWh, Math.max(env.baseWh, wh));

/** The total register at `t` by the attribution rule, from the readings before and after `t`. */
function attributed(env: Envelope, before: Reading | undefined, after: Reading | undefined, t: number): number {
  if (!before) return env.baseWh;
  const a: Sample = { ts: before.ts, wh: clampWh(env, before.energyWh) };
  if (!after) return a.wh;
  return interpolateWh(a, { ts: after.ts, wh: clampWh(env, after.energyWh) }, t);
}

/** The total register at `t` (measured at a reading, interpolated between two, the highest charged after the latest). */
export function totalAt(view: ChargingView, t: number): number {
  const env = view.envelope;
  if (t > env.lastTs) return env.chargedWh;
  const { before, after } = around(view, t);
  return attributed(env, before, after, t);
}

/** The readings covering [start, end]: those inside, the one at or before start and the one after end. */
function readingsCovering(view: ChargingView, start: number, end: number): Reading[] {
  const { lastTs } = view.envelope;
  const first = around(view, start).before;
  const inside = view.repos.meters.readings(view.meterId, start + 1, Math.min(end, lastTs) + 1, Number.MAX_SAFE_INTEGER);
  const out = first ? [first, ...inside] : inside;
  if (end <= lastTs) {
    const after = around(view, end).after;
    if (after) out.push(after);
  }
  return out;
}

/** The total register at `t` from readings already loaded (sorted, covering t). */
function totalFrom(view: ChargingView, readings: Reading[], t: number): number {
  const env = view.envelope;
  if (t > env.lastTs) return env.chargedWh;
  let lo = 0;
  let hi = readings.length; // first index with ts > t
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (readings[mid]!.ts <= t) lo = mid + 1;
    else hi = mid;
  }
  return attributed(env, readings[lo - 1], readings[lo], t);
}

const TOU_FIELD = { critical: 'criticalWh', peak: 'peakWh', flat: 'flatWh', valley: 'valleyWh' } as const;
/** The bands charged from their own registers, in the order they are capped at the total; flat is the rest. */
const REGISTER_BANDS: TouBand[] = ['critical', 'peak', 'valley'];

/** The band registers at `t` by the attribution rule; null for a band the meter does not report. */
function bandsAt(view: ChargingView, t: number): Record<TouBand, number | null> {
  const { before, after } = view.repos.tariffs.touAround(view.meterId, t);
  const at = (band: TouBand): number | null => {
    const field = TOU_FIELD[band];
    const a = before?.[field] ?? null;
    const b = after?.[field] ?? null;
    if (!before) return b;
    if (a === null || !after || b === null) return a;
    return interpolateWh({ ts: before.ts, wh: a }, { ts: after.ts, wh: b }, t);
  };
  return { critical: at('critical'), peak: at('peak'), flat: at('flat'), valley: at('valley') };
}

/** The energy of one segment by the attribution rule. */
export function segmentEnergy(view: ChargingView, segment: ChargingSegment): SegmentEnergy {
  const energy: SegmentEnergy = { totalWh: 0, priorWh: 0, bandWh: noBandEnergy() };
  const { tariff } = segment;
  if (tariff.kind === 'tou' && !view.byRegisters) {
    // One register: spread over time, each band's stretches charged to the band.
    const readings = readingsCovering(view, segment.start, segment.end);
    // After the latest reading the register stays at the highest charged: nothing to spread there.
    const end = Math.min(segment.end, view.envelope.lastTs + 1);
    for (const run of end > segment.start ? bandIntervals(tariff, segment.start, end, view.utcOffsetMinutes) : []) {
      const wh = Math.max(0, totalFrom(view, readings, run.to) - totalFrom(view, readings, run.from));
      energy.bandWh[run.band] += wh;
      energy.totalWh += wh;
    }
    return energy;
  }
  const start = totalAt(view, segment.start);
  energy.totalWh = Math.max(0, totalAt(view, segment.end) - start);
  if (tariff.kind === 'tiered' && segment.ladderStart < segment.start) {
    energy.priorWh = Math.max(0, start - totalAt(view, segment.ladderStart));
  }
  if (tariff.kind === 'tou') {
    // Per-tariff registers: the total is charged; critical, peak and valley come from their own
    // registers (each capped at what is left of the total), flat is the rest (平 = 总 − 尖 − 峰 − 谷).
    let left = energy.totalWh;
    const from = bandsAt(view, segment.start);
    const to = bandsAt(view, segment.end);
    for (const band of REGISTER_BANDS) {
      const a = from[band];
      const b = to[band];
      const wh = a === null || b === null ? 0 : Math.min(left, Math.max(0, b - a));
      energy.bandWh[band] = wh;
      left -= wh;
    }
    energy.bandWh.flat = left;
  }
  return energy;
}

/** A part of a segment's charge, as the readings stand. */
export interface SegmentPart extends PartCharge {
  segment: ChargingSegment;
}

/** The charge of a set of segments, by part (partKey), as the readings stand now. */
export function chargeOf(view: ChargingView, segments: ChargingSegment[]): Map<string, SegmentPart> {
  const parts = new Map<string, SegmentPart>();
  for (const segment of segments) {
    for (const part of segmentParts(segment.tariff, segmentEnergy(view, segment))) {
      parts.set(partKey(segment.key, part.part), { ...part, segment });
    }
  }
  return parts;
}
