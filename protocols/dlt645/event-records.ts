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
