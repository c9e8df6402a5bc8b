// Value codecs: payload bytes (LSB first, after −0x33) ↔ values, driven by the catalogue.
// Money is integer fen and energy integer Wh — never floats. Other quantities (V, A, kW, Hz)
// come out as numbers in the catalogue's unit.
//
// DL/T 645-2007 Appendix A (数据编码表) formats; signed formats per Appendix A note on sign bits.

import { Dlt645Error } from './errors.js';
import { bcdToNumber, bytesToHexDigits, hexDigitsToBytes, numberToBcd, numberToSignedBcd, signedBcdToNumber } from './bcd.js';
import { catalogueEntry, decimalsOf, type CatalogueEntry } from './catalogue.js';
import { decodeStatusWord, encodeStatusWord } from './status-words.js';
import { decodeDateValue, decodeDateTimeValue, decodeTimeValue, encodeDateValue, encodeDateTimeValue, encodeTimeValue } from './clock-values.js';
import { decodeEventRecord, decodeRelayEventRecord, encodeEventRecord, encodeRelayEventRecord, type EventRecord, type RelayEventRecord } from './event-records.js';
import { bcdTimestampToString, stringToBcdTimestamp } from './datetime.js';

export { decodeStatusWord3, encodeStatusWord3, type StatusWord3 } from './status-words.js';

const MAX_4_BYTE_BCD = 99_999_999;

function expectLength(payload: Uint8Array, length: number, what: string): void {
  if (payload.length !== length) {
    throw new Dlt645Error('VALUE_INVALID', `${what} must be ${length} bytes, got ${payload.length}`, { length: payload.length });
  }
}

/** XXXXXX.XX kWh (4 bytes BCD) → integer Wh (0.01 kWh = 10 Wh). */
export function decodeEnergyWh(payload: Uint8Array): number {
  expectLength(payload, 4, 'energy');
  return bcdToNumber(payload, 'energy') * 10;
}

/** Integer Wh → XXXXXX.XX kWh, floored to 10 Wh. Throws VALUE_INVALID outside 0..999999.99 kWh. */
export function encodeEnergyWh(wh: number): Buffer {
  if (!Number.isFinite(wh) || wh < 0 || Math.floor(wh / 10) > MAX_4_BYTE_BCD) {
    throw new Dlt645Error('VALUE_INVALID', `energy ${wh} Wh is outside 0..999999.99 kWh`, { wh });
  }
  return numberToBcd(Math.floor(wh / 10), 4, 'energy');
}

/** XXXXXX.XX yuan (4 bytes BCD) → integer fen. */
export function decodeMoneyFen(payload: Uint8Array): number {
  expectLength(payload, 4, 'amount');
  return bcdToNumber(payload, 'amount');
}

/** Integer fen → XXXXXX.XX yuan. Throws VALUE_INVALID for fractions of a fen or out of range. */
export function encodeMoneyFen(fen: number): Buffer {
  if (!Number.isSafeInteger(fen) || fen < 0 || fen > MAX_4_BYTE_BCD) {
    throw new Dlt645Error('VALUE_INVALID', `amount ${fen} fen is not an integer in 0..99999999`, { fen });
  }
  return numberToBcd(fen, 4, 'amount');
}

export type DataValue = number | string | Record<string, boolean | number | string>;

export interface DecodedDataValue {
  di: number;
  name: string;
  value: DataValue;
  unit?: string;
}

function entryOf(di: number): CatalogueEntry {
  const entry = catalogueEntry(di);
  if (entry === undefined) {
    throw new Dlt645Error('DI_UNKNOWN', `data identifier ${di.toString(16).padStart(8, '0')} is not in the catalogue`, { di });
  }
  return entry;
}

/** Unit of the decoded value (energy and money are scaled to Wh / varh / fen). */
function valueUnit(entry: CatalogueEntry): string | undefined {
  if (entry.kind === 'energy') return entry.unit === 'kvarh' ? 'varh' : 'Wh';
  if (entry.kind === 'money') return 'fen';
  return entry.kind === 'number' ? entry.unit : undefined;
}

function decodeScalar(entry: CatalogueEntry, bytes: Uint8Array): number | string {
  const raw = entry.signed ? signedBcdToNumber(bytes, entry.name) : bcdToNumber(bytes, entry.name);
  switch (entry.kind) {
    case 'energy':
      return raw * 10;
    case 'money':
      return raw;
    case 'digits':
      return bytesToHexDigits(bytes);
    default: {
      const d = decimalsOf(entry.format);
      return d === 0 ? raw : raw / 10 ** d;
    }
  }
}

function encodeScalar(entry: CatalogueEntry, value: unknown): Buffer {
  if (entry.kind === 'digits') return hexDigitsToBytes(String(value), entry.length, entry.name);
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Dlt645Error('VALUE_INVALID', `${entry.name} needs a finite number`, { value });
  }
  let raw: number;
  if (entry.kind === 'energy') raw = Math.trunc(value / 10);
  else if (entry.kind === 'money') {
    if (!Number.isInteger(value)) throw new Dlt645Error('VALUE_INVALID', `${entry.name} must be integer fen`, { value });
    raw = value;
  } else raw = Math.round(value * 10 ** decimalsOf(entry.format));
  if (entry.signed) return numberToSignedBcd(raw, entry.length, entry.name);
  if (raw < 0) throw new Dlt645Error('VALUE_INVALID', `${entry.name} cannot be negative`, { value });
  return numberToBcd(raw, entry.length, entry.name);
}

/** Generic, catalogue-driven decode. Throws DI_UNKNOWN for a DI outside the catalogue. */
export function decodeDataValue(di: number, payload: Uint8Array): DecodedDataValue {
  const entry = entryOf(di);
  const unit = valueUnit(entry);
  const result = (value: DataValue): DecodedDataValue => (unit === undefined ? { di, name: entry.name, value } : { di, name: entry.name, value, unit });
  if (entry.members !== undefined) {
    if (payload.length === 0 || payload.length % entry.length !== 0 || payload.length / entry.length > entry.members.length) {
      throw new Dlt645Error('VALUE_INVALID', `${entry.name}: ${payload.length} bytes is not a whole number of ${entry.length}-byte values`, {
        di,
        length: payload.length,
      });
    }
    const out: Record<string, number> = {};
    for (let i = 0; i * entry.length < payload.length; i++) {
      out[entry.members[i] ?? `item${i}`] = decodeScalar(entry, payload.subarray(i * entry.length, (i + 1) * entry.length)) as number;
    }
    return result(out);
  }
  expectLength(payload, entry.length, entry.name);
  switch (entry.kind) {
    case 'status':
      return result(decodeStatusWord(entry.statusWord ?? 1, payload));
    case 'date':
      return result(decodeDateValue(payload));
    case 'time':
      return result(decodeTimeValue(payload));
    case 'dateTime':
      return result(decodeDateTimeValue(payload));
    case 'timestamp':
      return result(bcdTimestampToString(payload));
    case 'relayEvent':
      return result({ ...decodeRelayEventRecord(payload) });
    case 'eventRecord': {
      const record = decodeEventRecord(entry.eventRecord ?? 'powerDown', payload);
      return result({ at: record.at, ...(record.endAt === undefined ? {} : { endAt: record.endAt ?? '' }), ...(record.operator ? { operator: record.operator } : {}),
        ...(record.dataIdentifiers ? { dataIdentifiers: record.dataIdentifiers.join(',') } : {}) });
    }
    default:
      return result(decodeScalar(entry, payload));
  }
}

/** Generic, catalogue-driven encode: the inverse of decodeDataValue's value. */
export function encodeDataValue(di: number, value: DataValue | Partial<RelayEventRecord> | Partial<EventRecord>): Buffer {
  const entry = entryOf(di);
  if (entry.members !== undefined) {
    if (typeof value !== 'object' || value === null) throw new Dlt645Error('VALUE_INVALID', `${entry.name} needs an object of members`, { di });
    const rec = value as Record<string, unknown>;
    const parts: Buffer[] = [];
    for (const m of entry.members) {
      if (!(m in rec)) break;
      parts.push(encodeScalar(entry, rec[m]));
    }
    if (parts.length === 0) throw new Dlt645Error('VALUE_INVALID', `${entry.name} needs at least '${entry.members[0]}'`, { di });
    return Buffer.concat(parts);
  }
  switch (entry.kind) {
    case 'status':
      if (typeof value === 'string') throw new Dlt645Error('VALUE_INVALID', `${entry.name} needs flags or a number`, { value });
      return encodeStatusWord(entry.statusWord ?? 1, value as Record<string, boolean | number> | number);
    case 'date':
      return encodeDateValue(String(value));
    case 'time':
      return encodeTimeValue(String(value));
    case 'dateTime':
      return encodeDateTimeValue(String(value));
    case 'timestamp':
      return stringToBcdTimestamp(String(value), entry.length === 6 ? 6 : 5);
    case 'relayEvent':
      return encodeRelayEventRecord(value as Partial<RelayEventRecord>);
    case 'eventRecord':
      return encodeEventRecord(entry.eventRecord ?? 'powerDown', value as Partial<EventRecord>);
    default:
      return encodeScalar(entry, value);
  }
}
