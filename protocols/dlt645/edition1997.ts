// DL/T 645-1997 reads: the same envelope as 2007 (68 A 68 C L DATA CS 16, data +33H) with the
// 1997 control codes and two-byte data identifiers.
//
// DL/T 645-1997 §4.2 (帧格式) and §4.2.3 (控制码 C): D7 direction, D6 abnormal, D5 follow-up,
// D4..D0 function: 00001 read data, 00010 read follow-up, 00011 re-read, 00100 write,
// 01000 broadcast time, 01010 write address, 01100 change baud, 01111 change password,
// 10000 maximum demand clear. Read request data = DI0 DI1; normal reply 81H = DI0 DI1 value;
// abnormal reply C1H = ERR.

import { Dlt645Error } from './errors.js';
import { bcdToNumber, numberToBcd, readUIntLE, writeUIntLE } from './bcd.js';
import { encodeFrame, expectDataLength, expectReply, expectRequest, makeControl, parseControl, type Dlt645Frame } from './frame.js';
import { decodeErrorWord1997 } from './error-word.js';
import { throwIfAbnormal } from './read.js';
import { DataIdentifier1997 } from './data-identifiers.js';

export const FunctionCode1997 = {
  Read: 0x01,
  ReadFollowUp: 0x02,
  Reread: 0x03,
  Write: 0x04,
  BroadcastTime: 0x08,
  WriteAddress: 0x0a,
  ChangeBaud: 0x0c,
  ChangePassword: 0x0f,
  MaxDemandClear: 0x10,
} as const;

function check1997Di(di: number): void {
  if (!Number.isInteger(di) || di < 0 || di > 0xffff) {
    throw new Dlt645Error('VALUE_INVALID', `1997 data identifier must be two bytes: ${di}`, { di });
  }
}

export function encode1997ReadRequest(address: string, di: number, options: { preamble?: number } = {}): Buffer {
  check1997Di(di);
  return encodeFrame({ address, control: makeControl(FunctionCode1997.Read), data: writeUIntLE(di, 2) }, { preamble: options.preamble ?? 0 });
}

export function decode1997ReadRequest(frame: Dlt645Frame): { di: number } {
  expectRequest(frame, FunctionCode1997.Read, '1997 read');
  expectDataLength(frame, 2, 2, '1997 read request');
  return { di: readUIntLE(frame.data, 0, 2) };
}

export function encode1997ReadResponse(address: string, di: number, payload: Uint8Array, options: { followUp?: boolean } = {}): Buffer {
  check1997Di(di);
  const control = makeControl(FunctionCode1997.Read, { fromMeter: true, followUp: options.followUp ?? false });
  return encodeFrame({ address, control, data: Buffer.concat([writeUIntLE(di, 2), Buffer.from(payload)]) }, { preamble: 0 });
}

/** Abnormal 1997 replies throw METER_ABNORMAL with the 1997 error flags. */
export function decode1997ReadResponse(frame: Dlt645Frame): { di: number; payload: Uint8Array; followUp: boolean } {
  const c = expectReply(frame, FunctionCode1997.Read, '1997 read');
  throwIfAbnormal(frame, decodeErrorWord1997);
  expectDataLength(frame, 2, 200, '1997 read reply');
  return { di: readUIntLE(frame.data, 0, 2), payload: frame.data.slice(2), followUp: c.followUp };
}

/** True for a frame whose control byte is a 1997 read or its reply (01H / 81H / C1H / A1H). */
export function is1997Read(frame: Dlt645Frame): boolean {
  return parseControl(frame.control).functionCode === FunctionCode1997.Read;
}

/** 1997 formats of the common identifiers: [name, decimals, bytes, unit, signed]. */
const FORMATS_1997: ReadonlyMap<number, { name: string; decimals: number; length: number; unit?: string; energy?: boolean }> = new Map([
  [DataIdentifier1997.forwardActiveTotal, { name: 'forwardActiveTotal', decimals: 2, length: 4, unit: 'Wh', energy: true }],
  [DataIdentifier1997.forwardActiveTariff1, { name: 'forwardActiveTariff1', decimals: 2, length: 4, unit: 'Wh', energy: true }],
  [DataIdentifier1997.forwardActiveTariff2, { name: 'forwardActiveTariff2', decimals: 2, length: 4, unit: 'Wh', energy: true }],
  [DataIdentifier1997.forwardActiveTariff3, { name: 'forwardActiveTariff3', decimals: 2, length: 4, unit: 'Wh', energy: true }],
  [DataIdentifier1997.forwardActiveTariff4, { name: 'forwardActiveTariff4', decimals: 2, length: 4, unit: 'Wh', energy: true }],
  [DataIdentifier1997.reverseActiveTotal, { name: 'reverseActiveTotal', decimals: 2, length: 4, unit: 'Wh', energy: true }],
  [DataIdentifier1997.phaseAVoltage, { name: 'phaseAVoltage', decimals: 0, length: 2, unit: 'V' }],
  [DataIdentifier1997.phaseBVoltage, { name: 'phaseBVoltage', decimals: 0, length: 2, unit: 'V' }],
  [DataIdentifier1997.phaseCVoltage, { name: 'phaseCVoltage', decimals: 0, length: 2, unit: 'V' }],
  [DataIdentifier1997.phaseACurrent, { name: 'phaseACurrent', decimals: 2, length: 2, unit: 'A' }],
  [DataIdentifier1997.phaseBCurrent, { name: 'phaseBCurrent', decimals: 2, length: 2, unit: 'A' }],
  [DataIdentifier1997.phaseCCurrent, { name: 'phaseCCurrent', decimals: 2, length: 2, unit: 'A' }],
  [DataIdentifier1997.activePowerTotal, { name: 'activePowerTotal', decimals: 4, length: 3, unit: 'kW' }],
  [DataIdentifier1997.phaseAActivePower, { name: 'phaseAActivePower', decimals: 4, length: 3, unit: 'kW' }],
  [DataIdentifier1997.phaseBActivePower, { name: 'phaseBActivePower', decimals: 4, length: 3, unit: 'kW' }],
  [DataIdentifier1997.phaseCActivePower, { name: 'phaseCActivePower', decimals: 4, length: 3, unit: 'kW' }],
  [DataIdentifier1997.powerFactorTotal, { name: 'powerFactorTotal', decimals: 3, length: 2 }],
]);

/** What the 1997 table knows of a DI (name, decimals, length, unit), or undefined. */
export function format1997(di: number): { name: string; decimals: number; length: number; unit?: string; energy?: boolean } | undefined {
  return FORMATS_1997.get(di);
}

/** Decode a 1997 value of a known DI (energy → integer Wh; others as numbers in their unit). */
export function decode1997Value(di: number, payload: Uint8Array): { di: number; name: string; value: number; unit?: string } {
  const f = FORMATS_1997.get(di);
  if (f === undefined) throw new Dlt645Error('DI_UNKNOWN', `1997 data identifier ${di.toString(16)} is not in the catalogue`, { di });
  if (payload.length !== f.length) {
    throw new Dlt645Error('VALUE_INVALID', `${f.name} must be ${f.length} bytes, got ${payload.length}`, { di, length: payload.length });
  }
  const raw = bcdToNumber(payload, f.name);
  const value = f.energy ? raw * 10 : f.decimals === 0 ? raw : raw / 10 ** f.decimals;
  return f.unit === undefined ? { di, name: f.name, value } : { di, name: f.name, value, unit: f.unit };
}

/** Encode a 1997 value of a known DI: the inverse of decode1997Value (energy floored to 10 Wh). */
export function encode1997Value(di: number, value: number): Buffer {
  const f = FORMATS_1997.get(di);
  if (f === undefined) throw new Dlt645Error('DI_UNKNOWN', `1997 data identifier ${di.toString(16)} is not in the catalogue`, { di });
  const raw = f.energy ? Math.floor(value / 10) : Math.round(value * 10 ** f.decimals);
  return numberToBcd(raw, f.length, f.name);
}
