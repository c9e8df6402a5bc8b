// What scheduled collection needs from a protocol: read a meter's cumulative energy and relay
// state, and whatever else it answers (live values, the answer or miss of each register asked).
// One implementation per protocol family (DL/T 645, Modbus); the poller picks it by the meter's
// protocol. Knows no accounts: it gets a meter's wire identity and returns values.
import type { MeterRow } from '../db/repo/index.js';
import { AppError, type AppErrorCode } from '../errors.js';
import type { LiveValue } from '../live-values.js';
import type { Priority } from './bus.js';

/** What one data identifier did in a read: answered (with its value as JSON), or missed and why. */
export type DataIdentifierOutcome =
  | { di: string; answered: true; value: string | null }
  | { di: string; answered: false; reason: string };

export interface MeterValues {
  /** forward active energy, total, integer Wh */
  energyWh: number;
  /** actual relay state, when the meter reports it */
  relay: 'open' | 'closed' | null;
  /** per-tariff registers (peak, flat, valley, critical), integer Wh, when the meter has them */
  touWh?: { peakWh?: number; flatWh?: number; valleyWh?: number; criticalWh?: number };
  /** voltage, current, power, power factor, remaining money … as read with the energy */
  live?: LiveValue[];
  /** what each data identifier asked did (DL/T 645) */
  dataIdentifiers?: DataIdentifierOutcome[];
  /** the DL/T 645 edition that answered */
  edition?: '2007' | '1997';
}

/** One daily freeze (日冻结) read from a meter's frozen history. */
export interface FrozenRecord {
  /** the meter's local day the freeze opens, 'YYYY-MM-DD' */
  day: string;
  /** when the meter froze, ms since the epoch */
  frozenAt: number;
  energyWh: number;
}

/** An event count of a meter and, when asked for, its latest record. */
export interface EventCount {
  di: string;
  kind: string;
  count: number;
}

/** What a probe found: the edition and DIs a meter answers, and the profile that fits it. */
export interface ProbeResult {
  edition: '2007' | '1997' | null;
  answered: Array<{ di: string; name: string; value: unknown }>;
  missed: Array<{ di: string; name: string; reason: string }>;
  suggestedProfile: string | null;
}

export interface MeterReader {
  read(meter: MeterRow, priority: Priority): Promise<MeterValues>;
  /** Asks the meter which edition and DIs it answers (DL/T 645). */
  probe?(meter: MeterRow): Promise<ProbeResult>;
  /** The name of the profile the meter is read with now (DL/T 645). */
  profileName?(meter: MeterRow): string;
  /** Daily freezes newer than `after` (ms) and not before `notBefore`, oldest first (DL/T 645 profiles with daily freezes). */
  dailyFrozen?(meter: MeterRow, after: number, notBefore: number, priority: Priority): Promise<{ records: FrozenRecord[]; dataIdentifiers: DataIdentifierOutcome[] }>;
  /** The meter's event counts (DL/T 645 profiles with events). */
  eventCounts?(meter: MeterRow, priority: Priority): Promise<{ counts: EventCount[]; dataIdentifiers: DataIdentifierOutcome[] }>;
  /** The latest record of an event kind, decoded, or null when the meter does not give it. */
  eventRecord?(meter: MeterRow, kind: string, priority: Priority): Promise<Record<string, unknown> | null>;
}

/**
 * A read that did not give the energy register but gave other values: they are kept (the poller
 * records them) and the read fails with the energy register's error.
 */
export class PartialReadError extends AppError {
  constructor(code: AppErrorCode, message: string, context: Record<string, unknown>, readonly partial: Omit<MeterValues, 'energyWh'>) {
    super(code, message, context);
  }
}

export function isPartialRead(err: unknown): err is PartialReadError {
  return err instanceof PartialReadError;
}
