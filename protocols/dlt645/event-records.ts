// Trip and close event records (拉闸 / 合闸事件记录), DIs 1D0001xx and 1E0001xx.
//
// DL/T 645-2007 Appendix A, event records: occurrence time YYMMDDhhmmss (6), operator code
// C0..C3 (4), then at the moment of the event forward active, reverse active and the four
// quadrants' reactive totals (XXXXXX.XX, 4 bytes each) — 34 bytes in all.

import { Dlt645Error } from './errors.js';
import { bcdToNumber, bytesToHexDigits, hexDigitsToBytes, numberToBcd } from './bcd.js';
import { bcdTimestampToString, stringToBcdTimestamp } from './datetime.js';

export const RELAY_EVENT_RECORD_LENGTH = 34;

export interface RelayEventRecord {
  /** Meter local time, 'YYYY-MM-DD hh:mm:ss'. */
  at: string;
  /** Operator code C3..C0, 8 hex digits. */
  operator: string;
  forwardActiveWh: number;
  reverseActiveWh: number;
  quadrant1Varh: number;
  quadrant2Varh: number;
  quadrant3Varh: number;
  quadrant4Varh: number;
}

const ENERGY_FIELDS = ['forwardActiveWh', 'reverseActiveWh', 'quadrant1Varh', 'quadrant2Varh', 'quadrant3Varh', 'quadrant4Varh'] as const;

export function decodeRelayEventRecord(payload: Uint8Array): RelayEventRecord {
  if (payload.length !== RELAY_EVENT_RECORD_LENGTH) {
    throw new Dlt645Error('VALUE_INVALID', `event record must be ${RELAY_EVENT_RECORD_LENGTH} bytes, got ${payload.length}`, {
      length: payload.length,
    });
  }
  const energy = (i: number): number => bcdToNumber(payload.subarray(10 + 4 * i, 14 + 4 * i), ENERGY_FIELDS[i]) * 10;
  return {
    at: bcdTimestampToString(payload.subarray(0, 6)),
    operator: bytesToHexDigits(payload.subarray(6, 10)),
    forwardActiveWh: energy(0),
    reverseActiveWh: energy(1),
    quadrant1Varh: energy(2),
    quadrant2Varh: energy(3),
    quadrant3Varh: energy(4),
    quadrant4Varh: energy(5),
  };
}

export function encodeRelayEventRecord(record: Partial<RelayEventRecord>): Buffer {
  if (typeof record.at !== 'string') throw new Dlt645Error('VALUE_INVALID', "event record needs 'at'", {});
  const parts = [stringToBcdTimestamp(record.at, 6), hexDigitsToBytes(record.operator ?? '00000000', 4, 'operator')];
  for (const f of ENERGY_FIELDS) parts.push(numberToBcd(Math.floor((record[f] ?? 0) / 10), 4, f));
  return Buffer.concat(parts);
}

/**
 * Power-down (掉电, 0311xxxx), programming (编程, 033000xx) and meter cover opened (开表盖,
 * 03300Dxx) records, DL/T 645-2007 Appendix A, event records:
 *   power-down   start YYMMDDhhmmss (6) · end YYMMDDhhmmss (6)                       12 bytes
 *   programming  time YYMMDDhhmmss (6) · operator C0..C3 (4) · the first 10 DIs written (40)  50 bytes
 *   cover open   start (6) · end (6) · energies before and after (12 × XXXXXX.XX)     60 bytes
 * An end time of all zeros means the event has not ended.
 */
export type EventRecordLayout = 'powerDown' | 'programming' | 'coverOpen';

export const EVENT_RECORD_LENGTH: Readonly<Record<EventRecordLayout, number>> = { powerDown: 12, programming: 50, coverOpen: 60 };

export interface EventRecord {
  /** Meter local time the event began, 'YYYY-MM-DD hh:mm:ss'. */
  at: string;
  /** When it ended; null while it lasts, absent for programming. */
  endAt?: string | null;
  /** Programming: operator code, 8 hex digits. */
  operator?: string;
  /** Programming: the data identifiers written (up to 10), 8 hex digits each. */
  dataIdentifiers?: string[];
}

const isZero = (bytes: Uint8Array): boolean => bytes.every((b) => b === 0);

export function decodeEventRecord(layout: EventRecordLayout, payload: Uint8Array): EventRecord {
  const length = EVENT_RECORD_LENGTH[layout];
  if (payload.length !== length) {
    throw new Dlt645Error('VALUE_INVALID', `${layout} record must be ${length} bytes, got ${payload.length}`, { length: payload.length });
  }
  const at = bcdTimestampToString(payload.subarray(0, 6));
  if (layout === 'programming') {
    const dataIdentifiers: string[] = [];
    for (let i = 10; i + 4 <= 50; i += 4) {
      const di = payload.subarray(i, i + 4);
      if (isZero(di) || di.every((b) => b === 0xff)) continue;
      dataIdentifiers.push(Buffer.from(di).reverse().toString('hex').toUpperCase());
    }
    return { at, operator: bytesToHexDigits(payload.subarray(6, 10)), dataIdentifiers };
  }
  const end = payload.subarray(6, 12);
  return { at, endAt: isZero(end) ? null : bcdTimestampToString(end) };
}

export function encodeEventRecord(layout: EventRecordLayout, record: Partial<EventRecord>): Buffer {
  if (typeof record.at !== 'string') throw new Dlt645Error('VALUE_INVALID', "event record needs 'at'", {});
  const out = Buffer.alloc(EVENT_RECORD_LENGTH[layout]);
  stringToBcdTimestamp(record.at, 6).copy(out, 0);
  if (layout === 'programming') {
    hexDigitsToBytes(record.operator ?? '00000000', 4, 'operator').copy(out, 6);
    (record.dataIdentifiers ?? []).slice(0, 10).forEach((di, i) => Buffer.from(di.padStart(8, '0'), 'hex').reverse().copy(out, 10 + 4 * i));
  } else if (record.endAt) {
    stringToBcdTimestamp(record.endAt, 6).copy(out, 6);
  }
  return out;
}
