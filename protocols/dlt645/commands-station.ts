// Station commands without a password: broadcast time sync (08H), read address (13H), write
// address (15H), freeze (16H) and change baud rate (17H).
//
// DL/T 645-2007 §7.6 (广播校时): to 999999999999, data ss mm hh DD MM YY, no reply.
// DL/T 645-2007 §7.4 (读通信地址): to AAAAAAAAAAAA, no data; reply 93H = A0..A5.
// DL/T 645-2007 §7.5 (写通信地址): to AAAAAAAAAAAA, data = new A0..A5; reply 95H.
// DL/T 645-2007 §7.7 (冻结命令): data mm hh DD MM; 99 in the leading items means "every"
//   (99DDhhmm monthly, 9999hhmm daily, 999999mm hourly), 99999999 freezes at once; reply 96H.
// DL/T 645-2007 §7.8 (更改通信速率): data Z, the baud feature word (bit1 600 … bit6 19200);
//   reply 97H = Z.

import { Dlt645Error } from './errors.js';
import { addressToBytes, bcdToNumber, bytesToAddress, numberToBcd } from './bcd.js';
import {
  BROADCAST_ADDRESS,
  FunctionCode,
  WILDCARD_ADDRESS,
  encodeFrame,
  expectDataLength,
  expectReply,
  expectRequest,
  makeControl,
  type Dlt645Frame,
} from './frame.js';
import { throwIfAbnormal } from './read.js';
import { DEFAULT_UTC_OFFSET_MINUTES, decodeDateTime6, encodeDateTime6 } from './datetime.js';

export function encodeBroadcastTimeRequest(
  time: Date,
  options: { utcOffsetMinutes?: number; preamble?: number; address?: string } = {},
): Buffer {
  const data = encodeDateTime6(time, options.utcOffsetMinutes ?? DEFAULT_UTC_OFFSET_MINUTES);
  const frameOptions = options.preamble === undefined ? {} : { preamble: options.preamble };
  return encodeFrame({ address: options.address ?? BROADCAST_ADDRESS, control: makeControl(FunctionCode.BroadcastTime), data }, frameOptions);
}

/** The broadcast time, or null when the 6 bytes are not a valid date. */
export function decodeBroadcastTimeRequest(frame: Dlt645Frame, options: { utcOffsetMinutes?: number } = {}): { time: Date | null } {
  expectRequest(frame, FunctionCode.BroadcastTime, 'broadcast time');
  expectDataLength(frame, 6, 6, 'broadcast time request');
  return { time: decodeDateTime6(frame.data, options.utcOffsetMinutes ?? DEFAULT_UTC_OFFSET_MINUTES) };
}

export function encodeReadAddressRequest(options: { preamble?: number } = {}): Buffer {
  return encodeFrame({ address: WILDCARD_ADDRESS, control: makeControl(FunctionCode.ReadAddress), data: new Uint8Array(0) }, options);
}

export function encodeReadAddressResponse(address: string): Buffer {
  const control = makeControl(FunctionCode.ReadAddress, { fromMeter: true });
  return encodeFrame({ address, control, data: addressToBytes(address) }, { preamble: 0 });
}

/** The address in the data field (the header's address says the same on a well-behaved meter). */
export function decodeReadAddressResponse(frame: Dlt645Frame): { address: string } {
  expectReply(frame, FunctionCode.ReadAddress, 'read address');
  throwIfAbnormal(frame);
  expectDataLength(frame, 6, 6, 'read address reply');
  return { address: bytesToAddress(frame.data) };
}

export function encodeWriteAddressRequest(newAddress: string, options: { preamble?: number } = {}): Buffer {
  return encodeFrame(
    { address: WILDCARD_ADDRESS, control: makeControl(FunctionCode.WriteAddress), data: addressToBytes(newAddress) },
    options,
  );
}

export function decodeWriteAddressRequest(frame: Dlt645Frame): { newAddress: string } {
  expectRequest(frame, FunctionCode.WriteAddress, 'write address');
  expectDataLength(frame, 6, 6, 'write address request');
  return { newAddress: bytesToAddress(frame.data) };
}

/** When to freeze: 'now', or a schedule whose omitted leading items mean "every". */
export type FreezeSchedule = 'now' | { minute: number; hour?: number; day?: number; month?: number };

const EVERY = 99;

export function encodeFreezeRequest(address: string, when: FreezeSchedule, options: { preamble?: number } = {}): Buffer {
  let items: number[];
  if (when === 'now') items = [EVERY, EVERY, EVERY, EVERY];
  else {
    const { minute, hour, day, month } = when;
    if ((month !== undefined && day === undefined) || (day !== undefined && hour === undefined)) {
      throw new Dlt645Error('VALUE_INVALID', 'a freeze schedule may only leave out its leading items (month, then day, then hour)', { when });
    }
    const check = (v: number, lo: number, hi: number, what: string): number => {
      if (!Number.isInteger(v) || v < lo || v > hi) throw new Dlt645Error('VALUE_INVALID', `freeze ${what} out of range: ${v}`, { [what]: v });
      return v;
    };
    items = [
      check(minute, 0, 59, 'minute'),
      hour === undefined ? EVERY : check(hour, 0, 23, 'hour'),
      day === undefined ? EVERY : check(day, 1, 31, 'day'),
      month === undefined ? EVERY : check(month, 1, 12, 'month'),
    ];
  }
  const data = Buffer.concat(items.map((v) => numberToBcd(v, 1)));
  return encodeFrame({ address, control: makeControl(FunctionCode.Freeze), data }, options);
}

export function decodeFreezeRequest(frame: Dlt645Frame): { when: FreezeSchedule } {
  expectRequest(frame, FunctionCode.Freeze, 'freeze');
  expectDataLength(frame, 4, 4, 'freeze request');
  const [minute, hour, day, month] = Array.from(frame.data, (b) => bcdToNumber(Uint8Array.of(b), 'freeze time'));
  if (minute === EVERY) return { when: 'now' };
  const when: { minute: number; hour?: number; day?: number; month?: number } = { minute: minute ?? 0 };
  if (hour !== EVERY) when.hour = hour ?? 0;
  if (day !== EVERY) when.day = day ?? 0;
  if (month !== EVERY) when.month = month ?? 0;
  return { when };
}

/** Baud rates the feature word Z can name, by bit. */
export const BAUD_BITS: Readonly<Record<number, number>> = { 600: 0x02, 1200: 0x04, 2400: 0x08, 4800: 0x10, 9600: 0x20, 19200: 0x40 };

function baudOf(z: number): number {
  const hit = Object.entries(BAUD_BITS).find(([, bit]) => bit === z);
  if (hit === undefined) throw new Dlt645Error('VALUE_INVALID', `baud feature word names no single rate: ${z}`, { z });
  return Number(hit[0]);
}

function featureWordOf(baud: number): number {
  const z = BAUD_BITS[baud];
  if (z === undefined) throw new Dlt645Error('VALUE_INVALID', `unsupported baud rate: ${baud}`, { baud });
  return z;
}

export function encodeChangeBaudRequest(address: string, baud: number, options: { preamble?: number } = {}): Buffer {
  return encodeFrame({ address, control: makeControl(FunctionCode.ChangeBaud), data: Buffer.from([featureWordOf(baud)]) }, options);
}

export function decodeChangeBaudRequest(frame: Dlt645Frame): { baud: number } {
  expectRequest(frame, FunctionCode.ChangeBaud, 'change baud');
  expectDataLength(frame, 1, 1, 'change baud request');
  return { baud: baudOf(frame.data[0] ?? 0) };
}

export function encodeChangeBaudResponse(address: string, baud: number): Buffer {
  const control = makeControl(FunctionCode.ChangeBaud, { fromMeter: true });
  return encodeFrame({ address, control, data: Buffer.from([featureWordOf(baud)]) }, { preamble: 0 });
}

export function decodeChangeBaudResponse(frame: Dlt645Frame): { baud: number } {
  expectReply(frame, FunctionCode.ChangeBaud, 'change baud');
  throwIfAbnormal(frame);
  expectDataLength(frame, 1, 1, 'change baud reply');
  return { baud: baudOf(frame.data[0] ?? 0) };
}
