// Meter clock values in BCD: the 0x1C validity deadline and broadcast time (ss mm hh DD MM YY),
// date (WW DD MM YY) and time (ss mm hh) registers. Meters keep local time without a zone, so
// every conversion takes the meter's UTC offset in minutes (China: +480).
//
// DL/T 645-2007 §7.6 (广播校时): ssmmhhDDMMYY, seconds first on the wire.
// DL/T 645-2007 Appendix A, 04000101 (YYMMDDWW) and 04000102 (hhmmss).

import { Dlt645Error } from './errors.js';
import { bcdToNumber, isBcdByte, numberToBcd } from './bcd.js';

export const DEFAULT_UTC_OFFSET_MINUTES = 480;

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

export function toLocalParts(date: Date, utcOffsetMinutes: number): LocalParts {
  const t = date.getTime();
  if (!Number.isFinite(t)) throw new Dlt645Error('VALUE_INVALID', 'invalid date', { date: String(date) });
  const local = new Date(t + utcOffsetMinutes * 60_000);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    weekday: local.getUTCDay(),
  };
}

/** Local wall-clock parts → instant; null when the parts are not a real date (e.g. 31 February). */
export function fromLocalParts(p: Omit<LocalParts, 'weekday'>, utcOffsetMinutes: number): Date | null {
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31 || p.hour > 23 || p.minute > 59 || p.second > 59) return null;
  const ms = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const check = new Date(ms);
  if (check.getUTCDate() !== p.day || check.getUTCMonth() !== p.month - 1) return null;
  return new Date(ms - utcOffsetMinutes * 60_000);
}

function yearOfCentury(year: number): number {
  if (year < 2000 || year > 2099) {
    throw new Dlt645Error('VALUE_INVALID', `year ${year} is outside 2000..2099, which two BCD digits can carry`, { year });
  }
  return year - 2000;
}

/** ss mm hh DD MM YY, 6 bytes BCD (before +0x33). */
export function encodeDateTime6(date: Date, utcOffsetMinutes = DEFAULT_UTC_OFFSET_MINUTES): Buffer {
  const p = toLocalParts(date, utcOffsetMinutes);
  const yy = yearOfCentury(p.year);
  return Buffer.concat([p.second, p.minute, p.hour, p.day, p.month, yy].map((v) => numberToBcd(v, 1)));
}

/** ss mm hh DD MM YY → Date, or null when the bytes are not BCD or not a valid date. */
export function decodeDateTime6(bytes: Uint8Array, utcOffsetMinutes = DEFAULT_UTC_OFFSET_MINUTES): Date | null {
  if (bytes.length !== 6 || !bytes.every(isBcdByte)) return null;
  const [second, minute, hour, day, month, yy] = Array.from(bytes, (b) => bcdToNumber(Uint8Array.of(b)));
  return fromLocalParts(
    { year: 2000 + (yy ?? 0), month: month ?? 0, day: day ?? 0, hour: hour ?? 0, minute: minute ?? 0, second: second ?? 0 },
    utcOffsetMinutes,
  );
}

/** A YYMMDDhhmm[ss] BCD value (LSB first on the wire) as an ISO-like local string 'YYYY-MM-DD hh:mm[:ss]'. */
export function bcdTimestampToString(bytes: Uint8Array): string {
  const digits = Array.from(bytes, (b) => {
    if (!isBcdByte(b)) throw new Dlt645Error('VALUE_INVALID', 'timestamp is not BCD', { bytes: Buffer.from(bytes).toString('hex') });
    return b.toString(16).padStart(2, '0');
  }).reverse();
  const [yy, mo, dd, hh, mi, ss] = digits;
  return `20${yy}-${mo}-${dd} ${hh}:${mi}${ss === undefined ? '' : `:${ss}`}`;
}

export function stringToBcdTimestamp(text: string, length: 5 | 6): Buffer {
  const m = /^20(\d\d)-(\d\d)-(\d\d) (\d\d):(\d\d)(?::(\d\d))?$/.exec(text);
  if (!m || (length === 6) !== (m[6] !== undefined)) {
    throw new Dlt645Error('VALUE_INVALID', `timestamp must be 'YYYY-MM-DD hh:mm${length === 6 ? ':ss' : ''}'`, { text });
  }
  const parts = m.slice(1, 1 + length).reverse();
  return Buffer.from(parts.map((d) => parseInt(d ?? '0', 16)));
}
