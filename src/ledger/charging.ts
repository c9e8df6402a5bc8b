// The energy and the charge of a charging segment (src/domain/tariff-schedule.ts), read from the
// stored readings. The charge of a meter is a function of its set of readings only — the sum over
// segments of each segment's charge on its cumulative energy — so the order readings arrive in
// cannot change it: a new reading changes at most the segment containing it and the segment of
// the reading after it, and the ledger is charged the difference.
//
//   register  ─────●──────────●────────●────────────●───────▶ time
//                  base       a        r (late)     b
//   segment   |······ S1 ··········|········· S2 ···········|
//   r splits a→b: a→r now belongs to S1 (r's time), r→b stays with S2 (b's time)
//
// The total register is read through its envelope: never below the charging base (the earliest
// reading) nor above the highest register charged, so a register that went backwards (raised as
// an event when it arrived) neither charges nor refunds anything.
import type { Repositories } from '../db/repo/index.js';
import type { TouRow } from '../db/repo/tariffs.js';
import { TOU_BANDS, noBandEnergy, segmentChargeFen, type SegmentEnergy } from '../domain/tariff.js';
import { FOREVER, bandAt } from '../domain/tariff-time.js';
import type { ChargingSegment } from '../domain/tariff-schedule.js';

/** The meter's total-register envelope. */
export interface Envelope {
  /** register at the earliest reading (the charging base) */
  baseWh: number;
  /** highest register charged */
  chargedWh: number;
  /** time of the latest reading */
  lastTs: number;
}

export interface ChargingView {
  repos: Repositories;
  meterId: string;
  envelope: Envelope;
  /** time-of-use by the meter's own per-tariff registers (else by the reading times' bands) */
  byRegisters: boolean;
  utcOffsetMinutes: number;
  /**
   * Lookups of "the reading before t" for t ≤ `until`, shared by the views before and after one
   * reading at `until` is stored: storing it cannot change them.
   */
  stable?: { until: number; before: Map<number, number | undefined> };
}

function readingBefore(view: ChargingView, t: number): number | undefined {
  const { stable } = view;
  if (!stable || t > stable.until) return view.repos.tariffs.readingBefore(view.meterId, t);
  if (stable.before.has(t)) return stable.before.get(t);
  const wh = view.repos.tariffs.readingBefore(view.meterId, t);
  stable.before.set(t, wh);
  return wh;
}

/** The envelope just before `t`: the latest reading before it, kept between base and charged. */
function envelopeBefore(view: ChargingView, t: number): number {
  const { baseWh, chargedWh, lastTs } = view.envelope;
  if (t <= -FOREVER) return baseWh;
  if (t > lastTs) return chargedWh;
  const wh = readingBefore(view, t);
  return wh === undefined ? baseWh : Math.min(chargedWh, Math.max(baseWh, wh));
}

function touAt(view: ChargingView, t: number): TouRow | undefined {
  return view.repos.tariffs.touBefore(view.meterId, t) ?? view.repos.tariffs.touFirst(view.meterId);
}

const TOU_FIELD = { critical: 'criticalWh', peak: 'peakWh', flat: 'flatWh', valley: 'valleyWh' } as const;

/** The energy of one segment. */
export function segmentEnergy(view: ChargingView, segment: ChargingSegment): SegmentEnergy {
  const energy: SegmentEnergy = { totalWh: 0, priorWh: 0, bandWh: noBandEnergy() };
  const { tariff } = segment;
  if (tariff.kind === 'tou' && view.byRegisters) {
    const from = touAt(view, segment.start);
    const to = touAt(view, segment.end);
    if (!from || !to) return energy;
    for (const band of TOU_BANDS) {
      const a = from[TOU_FIELD[band]];
      const b = to[TOU_FIELD[band]];
      if (a !== null && b !== null && b > a) energy.bandWh[band] = b - a;
    }
    energy.totalWh = TOU_BANDS.reduce((sum, band) => sum + energy.bandWh[band], 0);
    return energy;
  }
  if (tariff.kind === 'tou') {
    // Each increment belongs to the band of the later reading's time.
    const { baseWh, chargedWh } = view.envelope;
    let previous = envelopeBefore(view, segment.start);
    for (const r of view.repos.meters.readings(view.meterId, segment.start, segment.end, Number.MAX_SAFE_INTEGER)) {
      const value = Math.max(previous, Math.min(chargedWh, Math.max(baseWh, r.energyWh)));
      if (value > previous) energy.bandWh[bandAt(tariff, r.ts, view.utcOffsetMinutes)] += value - previous;
      previous = value;
    }
    energy.totalWh = TOU_BANDS.reduce((sum, band) => sum + energy.bandWh[band], 0);
    return energy;
  }
  const start = envelopeBefore(view, segment.start);
  energy.totalWh = Math.max(0, envelopeBefore(view, segment.end) - start);
  if (tariff.kind === 'tiered' && segment.ladderStart < segment.start) {
    energy.priorWh = Math.max(0, start - envelopeBefore(view, segment.ladderStart));
  }
  return energy;
}

/** Charge (fen) and energy (Wh) of a set of segments as the readings stand now. */
export function chargeOf(view: ChargingView, segments: ChargingSegment[]): { fen: number; energyWh: number } {
  let fen = 0;
  let energyWh = 0;
  for (const segment of segments) {
    const energy = segmentEnergy(view, segment);
    fen += segmentChargeFen(segment.tariff, energy);
    energyWh += energy.totalWh;
  }
  return { fen, energyWh };
}
