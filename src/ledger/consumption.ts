// Turns meter readings into consumption charges (docs/design.md "Money and energy",
// docs/charging.md). Readings are stored once per (meter, time). What a meter is charged depends
// only on the set of its readings (src/ledger/charging.ts), never on the order they arrive in:
// charging starts at the earliest reading in time, a reading older than all others moves the base
// back and charges the gap, a late reading between two others charges no new energy but
// re-attributes the interval it falls in (once: the entry says why). Every consumption entry
// carries its interval and its breakdown by period, tier or band, price and basis. Duplicates
// charge nothing; a register that goes backwards raises an event and charges nothing.
import type { Repositories, MeterRow, AccountRow } from '../db/repo/index.js';
import { segmentsBetween, type Assignment } from '../domain/tariff-schedule.js';
import { FOREVER } from '../domain/tariff-time.js';
import { TOU_BANDS, type TouBand } from '../domain/tariff.js';
import { isEstimated, splitsOf } from '../domain/attribution.js';
import { applyEntryTo } from './ledger.js';
import { chargeOf, type ChargingView, type Envelope } from './charging.js';
import { checkRegisters } from './register-check.js';
import { scheduleForAccount } from './tariffs.js';

/** The meters' local time when the caller does not say (config.utcOffsetMinutes' default, UTC+8). */
export const DEFAULT_UTC_OFFSET_MINUTES = 480;

/** A reading's per-tariff (time-of-use) registers, Wh; null where the meter has no such register. */
export interface TouRegisters {
  criticalWh?: number | null;
  peakWh?: number | null;
  flatWh?: number | null;
  valleyWh?: number | null;
}

export interface ReadingInput {
  meterId: string;
  ts: number;
  energyWh: number;
  /** per-tariff registers where the meter has them: time-of-use is then charged by them */
  tou?: TouRegisters | null;
}

export interface ReadingResult {
  stored: boolean;
  chargedFen: number;
  accountId: string;
  balanceChanged: boolean;
  backwards: boolean;
  /** the interval from the reading before was split by time (docs/charging.md) */
  split: boolean;
}

function checkTou(tou: TouRegisters): void {
  for (const [band, wh] of Object.entries(tou)) {
    if (wh !== null && wh !== undefined && (!Number.isSafeInteger(wh) || wh < 0)) throw new RangeError(`${band} ${wh} Wh is not a register value`);
  }
}

/**
 * Records one reading and charges its consumption. Call inside a transaction; `known` is the
 * meter's row when the caller has just read it in the same transaction.
 */
export function recordReading(
  repos: Repositories, input: ReadingInput, now: number, utcOffsetMinutes = DEFAULT_UTC_OFFSET_MINUTES, known?: MeterRow,
): ReadingResult {
  const meter = known?.id === input.meterId ? known : repos.meters.get(input.meterId);
  if (!meter) throw new RangeError(`meter ${input.meterId} does not exist`);
  if (!Number.isSafeInteger(input.energyWh) || input.energyWh < 0) throw new RangeError(`energy ${input.energyWh} Wh is not a register value`);
  if (!Number.isSafeInteger(input.ts)) throw new RangeError(`reading time ${input.ts} is not a time`);
  if (input.tou) checkTou(input.tou);
  const result: ReadingResult = { stored: false, chargedFen: 0, accountId: meter.accountId, balanceChanged: false, backwards: false, split: false };
  // A meter's first reading has no neighbours (every stored reading sets the meter's latest); a
  // reading after the latest one (the usual case) has the latest as its predecessor and no
  // successor: the meter row carries both, no lookup needed.
  const { previous, next } = meter.lastReadingAt === null
    ? { previous: undefined, next: undefined }
    : meter.lastEnergyWh !== null && input.ts > meter.lastReadingAt
      ? { previous: { ts: meter.lastReadingAt, energyWh: meter.lastEnergyWh }, next: undefined }
      : repos.meters.neighbours(input.meterId, input.ts);
  const storeTou = () => {
    if (input.tou) {
      repos.tariffs.insertTou(meter.id, {
        ts: input.ts, criticalWh: input.tou.criticalWh ?? null, peakWh: input.tou.peakWh ?? null, flatWh: input.tou.flatWh ?? null, valleyWh: input.tou.valleyWh ?? null,
      });
    }
  };

  if ((previous && input.energyWh < previous.energyWh) || (next && input.energyWh > next.energyWh)) {
    result.stored = repos.meters.insertReading(input.meterId, input.ts, input.energyWh);
    if (!result.stored) return result;
    result.backwards = true;
    repos.journal.appendEvent('register-backwards', meter.accountId, meter.id, {
      ts: input.ts, energyWh: input.energyWh, previous: previous ?? null, next: next ?? null,
    }, now);
    return result;
  }
  if (meter.chargeBaseWh === null || meter.chargedEnergyWh === null) {
    // The first reading sets the charging base: energy before it was never ours to charge.
    result.stored = repos.meters.insertReading(input.meterId, input.ts, input.energyWh, { baseWh: input.energyWh, chargedWh: input.energyWh });
    if (!result.stored) return result;
    storeTou();
    return result;
  }

  const account = repos.accounts.get(meter.accountId)!;
  const schedule = scheduleForAccount(repos, account);
  const byRegisters = schedule.some((a) => a.tariff.kind === 'tou') && (Boolean(input.tou) || repos.tariffs.touFirst(meter.id) !== undefined);
  // The window the reading changes: the interval it falls in (or extends), and with per-tariff
  // registers the interval between the registers around it.
  let from = previous?.ts ?? input.ts;
  let to = next?.ts ?? input.ts;
  const touAround = input.tou ? repos.tariffs.touAround(meter.id, input.ts) : undefined;
  if (byRegisters && touAround) {
    if (touAround.before && touAround.before.ts < from) from = touAround.before.ts;
    if (touAround.after && touAround.after.ts > to) to = touAround.after.ts;
  }
  const lastTs = meter.lastReadingAt ?? -FOREVER;
  const envelope = {
    baseWh: previous ? meter.chargeBaseWh : Math.min(meter.chargeBaseWh, input.energyWh),
    chargedWh: Math.max(meter.chargedEnergyWh, input.energyWh),
    lastTs: Math.max(lastTs, input.ts),
  };
  const envelopeMoved = envelope.baseWh !== meter.chargeBaseWh || envelope.chargedWh !== meter.chargedEnergyWh;
  const charged = chargeChange(repos, {
    meter, account, schedule, byRegisters, utcOffsetMinutes, from, to,
    times: [...(previous ? [previous.ts] : []), input.ts, ...(next ? [next.ts] : [])], fresh: [input.ts],
    stableBefore: previous?.ts ?? null,
    provisional: byRegisters && !input.tou,
    reason: next ? (previous ? LATE_READING : EARLIER_READING) : undefined,
    before: { baseWh: meter.chargeBaseWh, chargedWh: meter.chargedEnergyWh, lastTs }, after: envelope,
  }, now, () => {
    if (!repos.meters.insertReading(input.meterId, input.ts, input.energyWh, envelopeMoved ? envelope : undefined)) return false;
    storeTou();
    if (input.tou && touAround?.before) checkRegisters(repos, meter, touAround.before, { ts: input.ts, energyWh: input.energyWh, ...input.tou }, now);
    return true;
  });
  result.stored = charged.stored;
  result.chargedFen = charged.fen;
  result.balanceChanged = charged.fen !== 0;
  result.split = charged.split > 0;
  return result;
}

/** Why an entry re-attributes energy already charged. */
const LATE_READING = 'late reading: the interval it falls in is attributed again';
const EARLIER_READING = 'reading earlier than the first one charged: the interval up to it is charged';

/** A change of a meter's stored readings, as charging sees it. */
export interface ReadingsChange {
  /** the meter and its account as read in this transaction */
  meter: MeterRow;
  account: AccountRow;
  schedule: Assignment[];
  byRegisters: boolean;
  utcOffsetMinutes: number;
  /** the stretch of time whose attribution the change can alter (the entry's interval) */
  from: number;
  to: number;
  /** reading times in that stretch after the change, in time order: the intervals charged */
  times: number[];
  /** the times of the readings the change adds */
  fresh: number[];
  /** the reading before the change's readings: lookups before it are the same before and after */
  stableBefore: number | null;
  /** a meter charged by its per-tariff registers, read without them: its band split waits for the next registers */
  provisional?: boolean;
  /** why, when the entry corrects what was charged before */
  reason?: string;
  /** the total-register envelope before and after */
  before: Envelope;
  after: Envelope;
}

/** One part of a consumption entry (docs/charging.md): amounts are signed as the entry's (a charge is negative). */
export interface ChargePart {
  periodStart: number;
  periodEnd: number;
  tariffId: string;
  tier?: number;
  band?: TouBand;
  pricePerKwh: string;
  energyWh: number;
  amountFen: number;
  basis: 'measured' | 'estimated';
}

/**
 * Charges what a change of a meter's readings costs: the charge of the segments it can alter is
 * taken by part before `store` writes it and again after, and the differences go to the ledger as
 * one consumption entry with its interval and breakdown — written whenever energy or money moved,
 * even at 0 fen, so the ledger's energy is the metered energy. `store` answering false (nothing
 * stored) charges nothing. `split` counts the fresh readings whose interval was split by time.
 */
export function chargeChange(repos: Repositories, change: ReadingsChange, now: number, store: () => boolean): { stored: boolean; fen: number; split: number } {
  const { meter, byRegisters, utcOffsetMinutes } = change;
  const segments = segmentsBetween(change.schedule, change.from, change.to, utcOffsetMinutes);
  const stable = change.stableBefore === null ? undefined : { before: change.stableBefore, around: new Map() };
  const view = (envelope: Envelope): ChargingView => ({ repos, meterId: meter.id, envelope, byRegisters, utcOffsetMinutes, stable });
  const before = chargeOf(view(change.before), segments);
  if (!store()) return { stored: false, fen: 0, split: 0 };
  const after = chargeOf(view(change.after), segments);
  const splits = splitsOf(change.times, segments, byRegisters, utcOffsetMinutes);
  const parts: ChargePart[] = [];
  let fen = 0;
  let energyWh = 0;
  for (const key of new Set([...after.keys(), ...before.keys()])) {
    const a = after.get(key);
    const b = before.get(key);
    const dWh = (a?.energyWh ?? 0) - (b?.energyWh ?? 0);
    const dFen = (a?.fen ?? 0) - (b?.fen ?? 0);
    if (dWh === 0 && dFen === 0) continue;
    const p = (a ?? b)!;
    parts.push({
      periodStart: p.segment.start, periodEnd: p.segment.end, tariffId: p.segment.tariffId,
      ...(p.tier !== undefined ? { tier: p.tier } : {}), ...(p.band !== undefined ? { band: p.band } : {}),
      pricePerKwh: p.pricePerKwh, energyWh: dWh, amountFen: -dFen,
      basis: change.provisional || isEstimated(splits, p.segment.key, p.part) ? 'estimated' : 'measured',
    });
    fen += dFen;
    energyWh += dWh;
  }
  if (parts.length > 0) {
    parts.sort((x, y) => x.periodStart - y.periodStart || partRank(x) - partRank(y));
    applyEntryTo(repos, change.account, {
      accountId: meter.accountId, kind: 'consumption', amountFen: -fen, actor: 'meter', at: now, meterId: meter.id, energyWh,
      intervalFrom: change.from, intervalTo: change.to, breakdown: JSON.stringify(parts),
      ...(change.reason ? { reason: change.reason } : {}),
    });
  }
  const fresh = new Set(change.fresh);
  return { stored: true, fen, split: splits.splitEnds.filter((t) => fresh.has(t)).length };
}

const partRank = (p: ChargePart) => p.tier ?? (p.band ? TOU_BANDS.indexOf(p.band) : 0);
