// Collection for DL/T 645 meters, driven by the meter's reading profile (profiles/*.json): the
// energy register first, then status words, time-of-use registers and live values, each on its
// own — a DI the meter does not answer (no reply, or the error word "no requested data") is
// counted and not asked again for a while, and loses nothing else.
//
//   profile(s) of the meter ─▶ energy DI ──(no reply, edition 'auto')──▶ the 1997 profile's
//        │ answered                └─(refused)─▶ the rest still read, then the read fails, values kept
//        ▼
//   status words ─▶ relay state (status word 3 bit 4; none: null = unknown)
//   tariffs 1..4 ─▶ touWh (all four or none)        values ─▶ live values (voltage, current, …)
//
// Daily freezes (日冻结, Appendix A freeze data 0506xxxx) and event counts (事件记录) are read
// on the poller's schedule through dailyFrozen() and eventCounts().
import {
  DataIdentifier, DataIdentifier1997, catalogueEntry, decode1997Value, decodeDataValue, decodeEnergyWh, decodeEventRecord,
  decodeRelayEventRecord, decodeStatusWord3, type Profile, type ProfileEntry,
} from '../../protocols/dlt645/index.js';
import type { MeterRow } from '../db/repo/index.js';
import { AppError } from '../errors.js';
import { blockQuantity, QUANTITIES, type LiveValue } from '../live-values.js';
import type { Profiles } from '../profiles.js';
import type { Priority } from './bus.js';
import type { Dlt645Driver, ReadOptions } from './dlt645-driver.js';
import { PartialReadError, type DataIdentifierOutcome, type EventCount, type FrozenRecord, type MeterReader, type MeterValues, type ProbeResult } from './meter-reader.js';

export interface Dlt645ReaderOptions {
  /** Also read the four time-of-use registers of meters whose profile has none. */
  readTou: boolean;
  profiles: Profiles;
  /** The bus's default profile (config buses[].dlt645.profile). */
  busProfile?: string;
  /** A DI the meter did not answer is not asked again for this long, ms. */
  missedRetryMs: number;
  /** Past daily freezes read at most. */
  backfillDaysMax: number;
  utcOffsetMinutes: number;
  now?: () => number;
}

type Edition = '2007' | '1997';
type TouWh = NonNullable<MeterValues['touWh']>;

/** Tariff 1..4 → the MeterValues field (State Grid convention: 尖 峰 平 谷). */
const TOU_FIELDS: ReadonlyArray<keyof TouWh> = ['criticalWh', 'peakWh', 'flatWh', 'valleyWh'];
const TOU_2007 = [DataIdentifier.forwardActiveTariff1, DataIdentifier.forwardActiveTariff2, DataIdentifier.forwardActiveTariff3, DataIdentifier.forwardActiveTariff4];
const TOU_1997 = [DataIdentifier1997.forwardActiveTariff1, DataIdentifier1997.forwardActiveTariff2, DataIdentifier1997.forwardActiveTariff3, DataIdentifier1997.forwardActiveTariff4];

/** Event count DI → its kind and the DI of its latest record (DL/T 645-2007 Appendix A, Table A.4). */
export const EVENT_KINDS: ReadonlyMap<number, { kind: string; record: number }> = new Map([
  [DataIdentifier.powerDownCount, { kind: 'power-down', record: DataIdentifier.lastPowerDownRecord }],
  [DataIdentifier.programmingCount, { kind: 'programming', record: DataIdentifier.lastProgrammingRecord }],
  [DataIdentifier.coverOpenCount, { kind: 'cover-open', record: DataIdentifier.lastCoverOpenRecord }],
  [DataIdentifier.tripCount, { kind: 'relay-trip', record: DataIdentifier.lastTripRecord }],
  [DataIdentifier.closeCount, { kind: 'relay-close', record: DataIdentifier.lastCloseRecord }],
]);

/**
 * What a probe asks: the energy registers, status word 3, remaining money, the voltage of phases A
 * and B (B answers only on a three-phase meter), power, power factor and the latest daily freeze;
 * then, when the 2007 energy registers get no answer at all, the 1997 ones.
 */
const PROBE_2007 = [
  DataIdentifier.forwardActiveTotal, DataIdentifier.combinedActiveTotal, DataIdentifier.statusWord3, DataIdentifier.remainingAmount,
  DataIdentifier.phaseAVoltage, DataIdentifier.phaseBVoltage, DataIdentifier.activePowerTotal, DataIdentifier.powerFactorTotal, DataIdentifier.dailyFrozenTime1,
];
const PROBE_1997 = [DataIdentifier1997.forwardActiveTotal, DataIdentifier1997.phaseAVoltage, DataIdentifier1997.activePowerTotal];

/** The shipped profile that fits what a meter answered. */
export function suggestProfile(edition: Edition | null, answered: ReadonlySet<number>): string | null {
  if (edition === '1997') return 'dlt645-1997-single-phase';
  if (edition === null) return null;
  if (!answered.has(DataIdentifier.forwardActiveTotal)) return answered.has(DataIdentifier.combinedActiveTotal) ? 'dlt645-2007-combined-energy' : null;
  if (answered.has(DataIdentifier.phaseBVoltage)) return 'dlt645-2007-three-phase';
  if (answered.has(DataIdentifier.statusWord3) || answered.has(DataIdentifier.remainingAmount)) return 'dlt645-2007-remote-fee-control';
  return 'dlt645-2007-single-phase';
}

export function diText(di: number, edition: Edition): string {
  return di.toString(16).toUpperCase().padStart(edition === '2007' ? 8 : 4, '0');
}

const codeOf = (err: unknown): string | undefined => (err as { code?: string }).code;

/** Why a DI was not answered, from the error of its read. */
function missReason(err: unknown): string {
  const code = codeOf(err);
  if (code === 'BUS_TIMEOUT') return 'no-reply';
  if (code === 'FRAME_CHECKSUM') return 'bad-checksum';
  if (code === 'METER_REFUSED') {
    const flags = ((err as AppError).context.flags as string[] | undefined) ?? [];
    return flags.includes('noRequestedData') || flags.includes('dataIdentifierError') ? 'no-requested-data' : `refused: ${flags.join(', ') || 'no reason given'}`;
  }
  return `bad-value: ${(err as Error).message}`;
}

/** A local 'YYYY-MM-DD hh:mm' of the meter's clock as ms since the epoch. */
function localToEpoch(text: string, utcOffsetMinutes: number): number {
  const [date, time] = text.split(' ');
  const [y, mo, d] = date!.split('-').map(Number);
  const [h, mi, s] = (time ?? '00:00').split(':').map(Number);
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s ?? 0) - utcOffsetMinutes * 60_000;
}

export class Dlt645Reader implements MeterReader {
  /** For meters with edition 'auto': the edition that last answered. */
  private readonly answered = new Map<string, Edition>();
  /** `${meterId} ${di}` → until when a missed DI is not asked again. */
  private readonly skipUntil = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly driver: Dlt645Driver, private readonly options: Dlt645ReaderOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The edition an 'auto' meter last answered in, if any. */
  answeredEdition(meterId: string): Edition | undefined {
    return this.answered.get(meterId);
  }

  /** The profile the meter is read with now (for 'auto': the edition that last answered). */
  profileOf(meter: MeterRow): Profile {
    return this.order(meter)[0]!;
  }

  profileName(meter: MeterRow): string {
    return this.profileOf(meter).name;
  }

  private order(meter: MeterRow): Profile[] {
    const profiles = this.options.profiles.forMeter(meter, this.options.busProfile);
    return meter.edition === 'auto' && this.answered.get(meter.id) === '1997' ? [...profiles].reverse() : profiles;
  }

  async read(meter: MeterRow, priority: Priority): Promise<MeterValues> {
    // An offline meter is probed with a single attempt, so it does not eat the line.
    const options: ReadOptions = meter.online ? {} : { retries: 0 };
    const outcomes: DataIdentifierOutcome[] = [];
    const { profile, energyWh, energyError } = await this.readEnergy(meter, priority, options, outcomes);
    const edition = profile.edition;
    const values: Omit<MeterValues, 'energyWh'> = { relay: null, dataIdentifiers: outcomes, edition };
    const ask = (entry: number) => this.readOptional(meter, entry, edition, priority, options, outcomes);
    try {
      for (const word of profile.statusWords) {
        const payload = await ask(word.di);
        if (payload && word.di === DataIdentifier.statusWord3) values.relay = decodeStatusWord3(payload).relayOpen ? 'open' : 'closed';
      }
      const tariffs = profile.tariffs?.map((t) => t.di) ?? (this.options.readTou ? (edition === '2007' ? TOU_2007 : TOU_1997) : []);
      if (tariffs.length === 4) {
        const touWh: TouWh = {};
        let complete = true;
        for (let t = 0; t < 4; t++) {
          const payload = await ask(tariffs[t]!);
          if (payload) touWh[TOU_FIELDS[t]!] = energyOf(tariffs[t]!, edition, payload);
          else complete = false;
        }
        if (complete) values.touWh = touWh;
      }
      const live: LiveValue[] = [];
      for (const entry of profile.values) {
        const payload = await ask(entry.di);
        if (payload) live.push(...liveValuesOf(entry, edition, payload));
      }
      if (live.length > 0) values.live = live;
    } catch (err) {
      // The link went down or the bus is closing: what was read is kept.
      if (codeOf(err) !== 'BUS_CLOSED') throw err;
    }
    if (energyWh === null) {
      const err = energyError as AppError;
      throw new PartialReadError(err.code, err.message, err.context, values);
    }
    return { energyWh, ...values };
  }

  /**
   * The energy register of the meter's profile; for edition 'auto', the 1997 profile's when the
   * 2007 read gets no answer. A refusal is recorded and returned: the other DIs are still read.
   */
  private async readEnergy(meter: MeterRow, priority: Priority, options: ReadOptions, outcomes: DataIdentifierOutcome[]):
    Promise<{ profile: Profile; energyWh: number | null; energyError?: unknown }> {
    const order = this.order(meter);
    for (let i = 0; ; i++) {
      const profile = order[i]!;
      const di = profile.energy.di;
      try {
        const payload = await this.readDi(meter.address, di, profile.edition, priority, options);
        const energyWh = energyOf(di, profile.edition, payload);
        if (meter.edition === 'auto') this.answered.set(meter.id, profile.edition);
        outcomes.push({ di: diText(di, profile.edition), answered: true, value: String(energyWh) });
        return { profile, energyWh };
      } catch (err) {
        // Only silence means "try the other edition"; a meter that answered has spoken.
        if (codeOf(err) === 'BUS_TIMEOUT' && i + 1 < order.length) continue;
        if (codeOf(err) !== 'METER_REFUSED') throw err;
        outcomes.push({ di: diText(di, profile.edition), answered: false, reason: missReason(err) });
        return { profile, energyWh: null, energyError: err };
      }
    }
  }

  /** Reads one optional DI: its payload, or null when it was missed (counted) or is resting after a miss. */
  private async readOptional(meter: MeterRow, di: number, edition: Edition, priority: Priority, options: ReadOptions, outcomes: DataIdentifierOutcome[]): Promise<Uint8Array | null> {
    const key = `${meter.id} ${di}`;
    const at = this.now();
    if ((this.skipUntil.get(key) ?? -Infinity) > at) return null;
    try {
      const payload = await this.readDi(meter.address, di, edition, priority, options);
      this.skipUntil.delete(key);
      outcomes.push({ di: diText(di, edition), answered: true, value: describe(di, edition, payload) });
      return payload;
    } catch (err) {
      const code = codeOf(err);
      if (code !== 'BUS_TIMEOUT' && code !== 'METER_REFUSED' && code !== 'VALUE_INVALID' && code !== 'FRAME_CHECKSUM') throw err;
      // A garbled reply says the meter has the DI and the line is noisy: asked again next time.
      if (code !== 'FRAME_CHECKSUM') this.skipUntil.set(key, at + this.options.missedRetryMs);
      outcomes.push({ di: diText(di, edition), answered: false, reason: missReason(err) });
      return null;
    }
  }

  private readDi(address: string, di: number, edition: Edition, priority: Priority, options: ReadOptions): Promise<Uint8Array> {
    return edition === '2007' ? this.driver.read(address, di, priority, options) : this.driver.read1997(address, di, priority, options);
  }

  /** Asks the meter, once each and ahead of scheduled polls, which edition and DIs it answers. */
  async probe(meter: MeterRow): Promise<ProbeResult> {
    const result: ProbeResult = { edition: null, answered: [], missed: [], suggestedProfile: null };
    const answered = new Set<number>();
    for (const edition of ['2007', '1997'] as const) {
      let spoke = false;
      for (const di of edition === '2007' ? PROBE_2007 : PROBE_1997) {
        const name = edition === '2007' ? catalogueEntry(di)?.name ?? '' : diText(di, edition);
        try {
          const payload = await this.readDi(meter.address, di, edition, 'read', { retries: 0 });
          spoke = true;
          answered.add(di);
          result.answered.push({ di: diText(di, edition), name, value: JSON.parse(describe(di, edition, payload) ?? 'null') });
        } catch (err) {
          const code = codeOf(err);
          if (code !== 'BUS_TIMEOUT' && code !== 'METER_REFUSED' && code !== 'VALUE_INVALID' && code !== 'FRAME_CHECKSUM') throw err;
          if (code !== 'BUS_TIMEOUT') spoke = true;
          result.missed.push({ di: diText(di, edition), name, reason: missReason(err) });
          // A meter silent to both 2007 energy registers does not speak 2007: the rest would only wait.
          if (edition === '2007' && !spoke && di === DataIdentifier.combinedActiveTotal) break;
        }
      }
      if (spoke) {
        result.edition = edition;
        break;
      }
    }
    result.suggestedProfile = suggestProfile(result.edition, answered);
    return result;
  }

  /**
   * Daily freezes newer than `after` and not before `notBefore`, oldest first: freeze n = 1, 2, …
   * (time 05060000 + n, energy 05060100 + n) until one already stored, one too old, the depth of
   * the profile or of backfillDaysMax, or the first the meter does not keep.
   */
  async dailyFrozen(meter: MeterRow, after: number, notBefore: number, priority: Priority): Promise<{ records: FrozenRecord[]; dataIdentifiers: DataIdentifierOutcome[] }> {
    const profile = this.profileOf(meter);
    const outcomes: DataIdentifierOutcome[] = [];
    const records: FrozenRecord[] = [];
    if (!profile.dailyFrozen) return { records, dataIdentifiers: outcomes };
    const depth = Math.min(profile.dailyFrozen.depth, this.options.backfillDaysMax);
    const options: ReadOptions = meter.online ? {} : { retries: 0 };
    for (let n = 1; n <= depth; n++) {
      const timeDi = profile.dailyFrozen.time.di + n - 1;
      let frozenAt: number;
      let text: string;
      try {
        text = decodeDataValue(timeDi, await this.driver.read(meter.address, timeDi, priority, options)).value as string;
        frozenAt = localToEpoch(text, this.options.utcOffsetMinutes);
      } catch (err) {
        if (codeOf(err) !== 'METER_REFUSED' && codeOf(err) !== 'VALUE_INVALID' && codeOf(err) !== 'BUS_TIMEOUT') throw err;
        // The first freeze the meter does not keep ends its history; a miss of the latest is counted.
        if (n === 1) outcomes.push({ di: diText(timeDi, '2007'), answered: false, reason: missReason(err) });
        break;
      }
      if (frozenAt <= after || frozenAt < notBefore) break;
      const energyDi = profile.dailyFrozen.energy.di + n - 1;
      try {
        const block = decodeDataValue(energyDi, await this.driver.read(meter.address, energyDi, priority, options)).value as Record<string, number>;
        records.push({ day: text.slice(0, 10), frozenAt, energyWh: block.total! });
        if (n === 1) outcomes.push({ di: diText(timeDi, '2007'), answered: true, value: JSON.stringify(text) }, { di: diText(energyDi, '2007'), answered: true, value: String(block.total) });
      } catch (err) {
        if (codeOf(err) !== 'METER_REFUSED' && codeOf(err) !== 'VALUE_INVALID' && codeOf(err) !== 'BUS_TIMEOUT') throw err;
        outcomes.push({ di: diText(energyDi, '2007'), answered: false, reason: missReason(err) });
        break;
      }
    }
    return { records: records.reverse(), dataIdentifiers: outcomes };
  }

  async eventCounts(meter: MeterRow, priority: Priority): Promise<{ counts: EventCount[]; dataIdentifiers: DataIdentifierOutcome[] }> {
    const profile = this.profileOf(meter);
    const outcomes: DataIdentifierOutcome[] = [];
    const counts: EventCount[] = [];
    const options: ReadOptions = meter.online ? {} : { retries: 0 };
    for (const entry of profile.events) {
      const payload = await this.readOptional(meter, entry.di, profile.edition, priority, options, outcomes);
      const kind = EVENT_KINDS.get(entry.di);
      if (payload && kind) counts.push({ di: diText(entry.di, profile.edition), kind: kind.kind, count: decodeDataValue(entry.di, payload).value as number });
    }
    return { counts, dataIdentifiers: outcomes };
  }

  async eventRecord(meter: MeterRow, kind: string, priority: Priority): Promise<Record<string, unknown> | null> {
    const entry = [...EVENT_KINDS.values()].find((k) => k.kind === kind);
    if (!entry) return null;
    try {
      const payload = await this.driver.read(meter.address, entry.record, priority, meter.online ? {} : { retries: 0 });
      const catalogued = catalogueEntry(entry.record)!;
      if (catalogued.kind === 'relayEvent') return { ...decodeRelayEventRecord(payload) };
      return { ...decodeEventRecord(catalogued.eventRecord!, payload) };
    } catch (err) {
      if (codeOf(err) === 'BUS_TIMEOUT' || codeOf(err) === 'METER_REFUSED' || codeOf(err) === 'VALUE_INVALID') return null;
      throw err;
    }
  }
}

function energyOf(di: number, edition: Edition, payload: Uint8Array): number {
  if (edition === '1997') return decode1997Value(di, payload).value;
  const value = decodeDataValue(di, payload).value;
  if (typeof value !== 'number') return decodeEnergyWh(payload);
  if (value < 0) throw new AppError('METER_REFUSED', `energy register ${diText(di, edition)} reads ${value} Wh, below zero`, { di });
  return value;
}

/** A short JSON of the decoded value, kept as the DI's last answer. */
function describe(di: number, edition: Edition, payload: Uint8Array): string | null {
  try {
    const value = edition === '1997' ? decode1997Value(di, payload).value : decodeDataValue(di, payload).value;
    const text = JSON.stringify(value);
    return text.length <= 500 ? text : null;
  } catch {
    return null;
  }
}

/** Live values in a value entry's payload: one scalar, or the members of a block. */
function liveValuesOf(entry: ProfileEntry, edition: Edition, payload: Uint8Array): LiveValue[] {
  if (edition === '1997') {
    const { name, value } = decode1997Value(entry.di, payload);
    return name in QUANTITIES ? [{ quantity: name, value }] : [];
  }
  const { name, value } = decodeDataValue(entry.di, payload);
  if (typeof value === 'number') return name in QUANTITIES ? [{ quantity: name, value }] : [];
  if (typeof value !== 'object') return [];
  const out: LiveValue[] = [];
  for (const [member, v] of Object.entries(value)) {
    const quantity = blockQuantity(name, member);
    if (quantity && typeof v === 'number') out.push({ quantity, value: v });
  }
  return out;
}
