// Turns meter readings into consumption charges (docs/design.md "Money and energy"). Readings are
// stored once per (meter, time). What a meter is charged depends only on the set of its readings
// (src/ledger/charging.ts), never on the order they arrive in: charging starts at the earliest
// reading in time, a reading older than all others moves the base back and charges the gap, a
// late reading between two others charges nothing new (it may move energy into its own ladder
// period or time-of-use band). Duplicates charge nothing; a register that goes backwards raises
// an event and charges nothing.
import type { Repositories, MeterRow, AccountRow } from '../db/repo/index.js';
import { segmentAt, type Assignment, type ChargingSegment } from '../domain/tariff-schedule.js';
import { FOREVER } from '../domain/tariff-time.js';
import { applyEntryTo } from './ledger.js';
import { chargeOf, type ChargingView, type Envelope } from './charging.js';
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
  const result: ReadingResult = { stored: false, chargedFen: 0, accountId: meter.accountId, balanceChanged: false, backwards: false };
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
  // The segments this reading can change: its own, and the one of the reading after it.
  const times = [input.ts];
  if (next) times.push(next.ts);
  if (byRegisters && input.tou) {
    const nextTou = repos.tariffs.touAfter(meter.id, input.ts);
    if (nextTou) times.push(nextTou.ts);
  }
  const lastTs = meter.lastReadingAt ?? -FOREVER;
  const envelope = {
    baseWh: previous ? meter.chargeBaseWh : Math.min(meter.chargeBaseWh, input.energyWh),
    chargedWh: Math.max(meter.chargedEnergyWh, input.energyWh),
    lastTs: Math.max(lastTs, input.ts),
  };
  const envelopeMoved = envelope.baseWh !== meter.chargeBaseWh || envelope.chargedWh !== meter.chargedEnergyWh;
  const charged = chargeChange(repos, {
    meter, account, byRegisters, utcOffsetMinutes, segments: segmentsAt(schedule, times, utcOffsetMinutes), stableUntil: input.ts,
    before: { baseWh: meter.chargeBaseWh, chargedWh: meter.chargedEnergyWh, lastTs }, after: envelope,
  }, now, () => {
    if (!repos.meters.insertReading(input.meterId, input.ts, input.energyWh, envelopeMoved ? envelope : undefined)) return false;
    storeTou();
    return true;
  });
  result.stored = charged.stored;
  result.chargedFen = charged.fen;
  result.balanceChanged = charged.fen !== 0;
  return result;
}

/** The charging segments holding these times, each once. */
export function segmentsAt(schedule: Assignment[], times: number[], utcOffsetMinutes: number): ChargingSegment[] {
  const segments = new Map<string, ChargingSegment>();
  for (const ts of times) {
    const s = segmentAt(schedule, ts, utcOffsetMinutes);
    segments.set(s.key, s);
  }
  return [...segments.values()];
}

/** A change of a meter's stored readings, as charging sees it. */
export interface ReadingsChange {
  /** the meter and its account as read in this transaction */
  meter: MeterRow;
  account: AccountRow;
  byRegisters: boolean;
  utcOffsetMinutes: number;
  /** the segments the change can alter */
  segments: ChargingSegment[];
  /** readings before any time up to this one are the same before and after the change */
  stableUntil: number;
  /** the total-register envelope before and after */
  before: Envelope;
  after: Envelope;
}

/**
 * Charges what a change of a meter's readings costs: the charge of the segments it can alter is
 * taken before `store` writes it and again after, and the difference goes to the ledger (one
 * consumption entry). `store` answering false (nothing stored) charges nothing.
 */
export function chargeChange(repos: Repositories, change: ReadingsChange, now: number, store: () => boolean): { stored: boolean; fen: number } {
  const { meter, byRegisters, utcOffsetMinutes, segments } = change;
  const stable = { until: change.stableUntil, before: new Map<number, number | undefined>() };
  const view = (envelope: Envelope): ChargingView => ({ repos, meterId: meter.id, envelope, byRegisters, utcOffsetMinutes, stable });
  const before = chargeOf(view(change.before), segments);
  if (!store()) return { stored: false, fen: 0 };
  const after = chargeOf(view(change.after), segments);
  const fen = after.fen - before.fen;
  if (fen !== 0) {
    const energyWh = after.energyWh - before.energyWh;
    applyEntryTo(repos, change.account, {
      accountId: meter.accountId, kind: 'consumption', amountFen: -fen, actor: 'meter', at: now, meterId: meter.id, energyWh,
      ...(energyWh === 0 ? { reason: 'late reading moved energy into its own charging period or band' } : {}),
    });
  }
  return { stored: true, fen };
}
