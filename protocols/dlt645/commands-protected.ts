// Password-protected commands: write data (14H), change password (18H), maximum demand clear
// (19H), meter clear (1AH) and event clear (1BH). Each carries PA (password level), P0..P2
// (password) and C0..C3 (operator code) ahead of its own data.
//
// DL/T 645-2007 §7.3 (写数据): DI0..DI3 PA P0 P1 P2 C0..C3 value; reply 94H, abnormal D4H.
// DL/T 645-2007 §7.9 (修改密码): DI (04000C01..0A = level 0..9) PAo P0o P1o P2o PAn P0n P1n P2n;
//   reply 98H PAn P0n P1n P2n.
// DL/T 645-2007 §7.10 (最大需量清零), §7.11 (电表清零): PA P0 P1 P2 C0..C3; replies 99H, 9AH.
// DL/T 645-2007 §7.12 (事件清零): PA P0 P1 P2 C0..C3 DI (FFFFFFFF = every event); reply 9BH.

import { Dlt645Error } from './errors.js';
import { bytesToHexDigits, hexDigitsToBytes, readUIntLE } from './bcd.js';
import { FunctionCode, encodeFrame, expectDataLength, expectRequest, makeControl, type Dlt645Frame } from './frame.js';
import { diToBytes } from './read.js';

export interface Credentials {
  /** PA: password level 0..9 (0 highest), or 98H for ESAM-protected meters; default 02. */
  level?: number;
  /** P2 P1 P0 as 6 hex digits, default '000000'. */
  password?: string;
  /** C3..C0 as 8 hex digits, default '00000000'. */
  operator?: string;
}

export interface DecodedCredentials {
  pa: number;
  password: string;
  operator: string;
}

export const ALL_EVENTS = 0xffffffff;

function credentialBytes(c: Credentials = {}, withOperator = true): Buffer {
  const level = c.level ?? 0x02;
  if (!Number.isInteger(level) || level < 0 || level > 0xff) throw new Dlt645Error('VALUE_INVALID', `password level out of range: ${level}`, { level });
  const parts = [Buffer.from([level]), hexDigitsToBytes(c.password ?? '000000', 3, 'password')];
  if (withOperator) parts.push(hexDigitsToBytes(c.operator ?? '00000000', 4, 'operator'));
  return Buffer.concat(parts);
}

function readCredentials(d: Uint8Array, at: number): DecodedCredentials {
  return {
    pa: d[at] ?? 0,
    password: bytesToHexDigits(d.subarray(at + 1, at + 4)),
    operator: bytesToHexDigits(d.subarray(at + 4, at + 8)),
  };
}

function request(address: string, functionCode: number, data: Buffer, preamble?: number): Buffer {
  return encodeFrame({ address, control: makeControl(functionCode), data }, preamble === undefined ? {} : { preamble });
}

export function encodeWriteRequest(address: string, di: number, value: Uint8Array, credentials?: Credentials, options: { preamble?: number } = {}): Buffer {
  return request(address, FunctionCode.Write, Buffer.concat([diToBytes(di), credentialBytes(credentials), Buffer.from(value)]), options.preamble);
}

export function decodeWriteRequest(frame: Dlt645Frame): DecodedCredentials & { di: number; value: Uint8Array } {
  expectRequest(frame, FunctionCode.Write, 'write');
  expectDataLength(frame, 12, 200, 'write request');
  return { di: readUIntLE(frame.data, 0, 4), ...readCredentials(frame.data, 4), value: frame.data.slice(12) };
}

/** DI of the password of `level` (0..9): 04000C01..04000C0A. */
export function passwordDi(level: number): number {
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new Dlt645Error('VALUE_INVALID', `password level must be 0..9: ${level}`, { level });
  return 0x04000c01 + level;
}

export function encodeChangePasswordRequest(
  address: string,
  current: { level: number; password: string },
  next: { level: number; password: string },
  options: { preamble?: number } = {},
): Buffer {
  const data = Buffer.concat([
    diToBytes(passwordDi(next.level)),
    credentialBytes({ level: current.level, password: current.password }, false),
    credentialBytes({ level: next.level, password: next.password }, false),
  ]);
  return request(address, FunctionCode.ChangePassword, data, options.preamble);
}

export function decodeChangePasswordRequest(frame: Dlt645Frame): {
  di: number;
  current: { level: number; password: string };
  next: { level: number; password: string };
} {
  expectRequest(frame, FunctionCode.ChangePassword, 'change password');
  expectDataLength(frame, 12, 12, 'change password request');
  const d = frame.data;
  return {
    di: readUIntLE(d, 0, 4),
    current: { level: d[4] ?? 0, password: bytesToHexDigits(d.subarray(5, 8)) },
    next: { level: d[8] ?? 0, password: bytesToHexDigits(d.subarray(9, 12)) },
  };
}

/** Normal 98H reply: the new level and password echoed. */
export function encodeChangePasswordResponse(address: string, next: { level: number; password: string }): Buffer {
  const data = credentialBytes({ level: next.level, password: next.password }, false);
  return encodeFrame({ address, control: makeControl(FunctionCode.ChangePassword, { fromMeter: true }), data }, { preamble: 0 });
}

export function encodeMaxDemandClearRequest(address: string, credentials?: Credentials, options: { preamble?: number } = {}): Buffer {
  return request(address, FunctionCode.MaxDemandClear, credentialBytes(credentials), options.preamble);
}

/** Meter clear: energy, demand, events and freezes (not parameters). `extra` carries ciphertext for PA 98H. */
export function encodeMeterClearRequest(address: string, credentials?: Credentials, options: { preamble?: number; extra?: Uint8Array } = {}): Buffer {
  const data = Buffer.concat([credentialBytes(credentials), Buffer.from(options.extra ?? new Uint8Array(0))]);
  return request(address, FunctionCode.MeterClear, data, options.preamble);
}

export function decodeClearRequest(frame: Dlt645Frame, functionCode: typeof FunctionCode.MeterClear | typeof FunctionCode.MaxDemandClear): DecodedCredentials & { extra: Uint8Array } {
  expectRequest(frame, functionCode, 'clear');
  expectDataLength(frame, 8, 200, 'clear request');
  return { ...readCredentials(frame.data, 0), extra: frame.data.slice(8) };
}

/** Event clear: `eventDi` = FFFFFFFF for every event, or one event's DI with DI0 = FF. */
export function encodeEventClearRequest(address: string, eventDi: number, credentials?: Credentials, options: { preamble?: number } = {}): Buffer {
  return request(address, FunctionCode.EventClear, Buffer.concat([credentialBytes(credentials), diToBytes(eventDi)]), options.preamble);
}

export function decodeEventClearRequest(frame: Dlt645Frame): DecodedCredentials & { eventDi: number } {
  expectRequest(frame, FunctionCode.EventClear, 'event clear');
  expectDataLength(frame, 12, 12, 'event clear request');
  return { ...readCredentials(frame.data, 0), eventDi: readUIntLE(frame.data, 8, 4) };
}
