// Meter clock registers as text in the meter's local time.
//
// DL/T 645-2007 Appendix A: 04000101 date and weekday YYMMDDWW (WW: 0 = Sunday),
// 04000102 time hhmmss; State Grid 2013: 0400010C date, weekday and time YYMMDDWWhhmmss.
// On the wire the least significant item comes first (WW DD MM YY, ss mm hh).

import { Dlt645Error } from './errors.js';
import { isBcdByte } from './bcd.js';

function digits(bytes: Uint8Array, what: string): string[] {
  return Array.from(bytes, (b) => {
    if (!isBcdByte(b)) throw new Dlt645Error('VALUE_INVALID', `${what} is not BCD`, { bytes: Buffer.from(bytes).toString('hex') });
    return b.toString(16).padStart(2, '0');
  });
}

const bcd = (two: string): number => parseInt(two, 16);

function weekdayOf(yyyy: number, mm: number, dd: number): number {
  return new Date(Date.UTC(yyyy, mm - 1, dd)).getUTCDay();
}

function parseDate(text: string): [string, string, string] {
  const m = /^20(\d\d)-(\d\d)-(\d\d)$/.exec(text);
  if (!m) throw new Dlt645Error('VALUE_INVALID', `date must be 'YYYY-MM-DD' in 2000..2099: ${text}`, { text });
  return [m[1] ?? '00', m[2] ?? '00', m[3] ?? '00'];
}

function parseTime(text: string): [string, string, string] {
  const m = /^(\d\d):(\d\d):(\d\d)$/.exec(text);
  if (!m) throw new Dlt645Error('VALUE_INVALID', `time must be 'hh:mm:ss': ${text}`, { text });
  return [m[1] ?? '00', m[2] ?? '00', m[3] ?? '00'];
}

/** WW DD MM YY → 'YYYY-MM-DD' (the weekday is implied by the date). */
export function decodeDateValue(payload: Uint8Array): string {
  const [, dd, mm, yy] = digits(payload, 'date');
  return `20${yy}-${mm}-${dd}`;
}

export function encodeDateValue(text: string): Buffer {
  const [yy, mm, dd] = parseDate(text);
  const ww = weekdayOf(2000 + Number(yy), Number(mm), Number(dd));
  return Buffer.from([ww, bcd(dd), bcd(mm), bcd(yy)]);
}

/** ss mm hh → 'hh:mm:ss'. */
export function decodeTimeValue(payload: Uint8Array): string {
  const [ss, mi, hh] = digits(payload, 'time');
  return `${hh}:${mi}:${ss}`;
}

export function encodeTimeValue(text: string): Buffer {
  const [hh, mi, ss] = parseTime(text);
  return Buffer.from([bcd(ss), bcd(mi), bcd(hh)]);
}

/** ss mm hh WW DD MM YY → 'YYYY-MM-DD hh:mm:ss'. */
export function decodeDateTimeValue(payload: Uint8Array): string {
  const [ss, mi, hh, , dd, mm, yy] = digits(payload, 'date and time');
  return `20${yy}-${mm}-${dd} ${hh}:${mi}:${ss}`;
}

export function encodeDateTimeValue(text: string): Buffer {
  const [date = '', time = ''] = text.split(' ');
  return Buffer.concat([encodeTimeValue(time), encodeDateValue(date)]);
}
