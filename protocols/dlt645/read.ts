// Read data (function 11H), read follow-up data (12H) and abnormal replies for every function.
//
// DL/T 645-2007 §7.1 (读数据): request data = DI0 DI1 DI2 DI3 [N [mm hh DD MM YY]];
//   normal reply 91H (B1H when follow-up frames exist) = DI + value; abnormal reply D1H = ERR.
// DL/T 645-2007 §7.2 (读后续数据): request 12H = DI + SEQ; reply 92H/B2H = DI + value + SEQ.

import { Dlt645Error } from './errors.js';
import { readUIntLE, writeUIntLE } from './bcd.js';
import {
  FunctionCode,
  decodeFrame,
  encodeFrame,
  expectDataLength,
  expectReply,
  expectRequest,
  makeControl,
  parseControl,
  type Dlt645Frame,
} from './frame.js';
import { decodeErrorWord } from './error-word.js';

function checkDi(di: number): void {
  if (!Number.isInteger(di) || di < 0 || di > 0xffffffff) {
    throw new Dlt645Error('VALUE_INVALID', `data identifier out of range: ${di}`, { di });
  }
}

export function diToBytes(di: number): Buffer {
  checkDi(di);
  return writeUIntLE(di, 4);
}

export function encodeReadRequest(
  address: string,
  di: number,
  options: { preamble?: number; blockCount?: number } = {},
): Buffer {
  const parts = [diToBytes(di)];
  // §7.1: an optional count of load-record blocks follows the DI.
  if (options.blockCount !== undefined) parts.push(Buffer.from([options.blockCount & 0xff]));
  return encodeFrame({ address, control: makeControl(FunctionCode.Read), data: Buffer.concat(parts) }, options);
}

export function decodeReadRequest(frame: Dlt645Frame): { di: number; blockCount?: number } {
  expectRequest(frame, FunctionCode.Read, 'read');
  expectDataLength(frame, 4, 10, 'read request');
  const di = readUIntLE(frame.data, 0, 4);
  return frame.data.length >= 5 ? { di, blockCount: frame.data[4] ?? 0 } : { di };
}

export function encodeReadFollowUpRequest(address: string, di: number, sequence: number, options: { preamble?: number } = {}): Buffer {
  const data = Buffer.concat([diToBytes(di), Buffer.from([sequence & 0xff])]);
  return encodeFrame({ address, control: makeControl(FunctionCode.ReadFollowUp), data }, options);
}

export function decodeReadFollowUpRequest(frame: Dlt645Frame): { di: number; sequence: number } {
  expectRequest(frame, FunctionCode.ReadFollowUp, 'read follow-up');
  expectDataLength(frame, 5, 5, 'read follow-up request');
  return { di: readUIntLE(frame.data, 0, 4), sequence: frame.data[4] ?? 0 };
}

/** payload = the value bytes, LSB first, before +0x33. */
export function encodeReadResponse(
  address: string,
  di: number,
  payload: Uint8Array,
  options: { followUp?: boolean; sequence?: number; preamble?: number } = {},
): Buffer {
  const isFollowUpReply = options.sequence !== undefined;
  const parts = [diToBytes(di), Buffer.from(payload)];
  if (isFollowUpReply) parts.push(Buffer.from([(options.sequence ?? 0) & 0xff]));
  const fc = isFollowUpReply ? FunctionCode.ReadFollowUp : FunctionCode.Read;
  const control = makeControl(fc, { fromMeter: true, followUp: options.followUp ?? false });
  return encodeFrame({ address, control, data: Buffer.concat(parts) }, { preamble: options.preamble ?? 0 });
}

/** Throws METER_ABNORMAL (context: errorWord, flags, functionCode) when the frame is an abnormal reply. */
export function throwIfAbnormal(frame: Dlt645Frame, describe: (word: number) => string[] = decodeErrorWord): void {
  const c = parseControl(frame.control);
  if (!c.abnormal) return;
  const errorWord = frame.data.length >= 2 ? readUIntLE(frame.data, 0, 2) : (frame.data[0] ?? 0);
  const flags = describe(errorWord);
  throw new Dlt645Error('METER_ABNORMAL', `meter ${frame.address} refused function ${c.functionCode.toString(16)}H: ${flags.join(', ') || 'no reason given'}`, {
    address: frame.address,
    functionCode: c.functionCode,
    errorWord,
    flags,
  });
}

export function decodeReadResponse(frame: Dlt645Frame): { di: number; payload: Uint8Array; followUp: boolean; sequence?: number } {
  const c = parseControl(frame.control);
  const fc = c.functionCode === FunctionCode.ReadFollowUp ? FunctionCode.ReadFollowUp : FunctionCode.Read;
  expectReply(frame, fc, 'read');
  throwIfAbnormal(frame);
  if (fc === FunctionCode.ReadFollowUp) {
    expectDataLength(frame, 5, 200, 'read follow-up reply');
    return {
      di: readUIntLE(frame.data, 0, 4),
      payload: frame.data.slice(4, frame.data.length - 1),
      followUp: c.followUp,
      sequence: frame.data[frame.data.length - 1] ?? 0,
    };
  }
  expectDataLength(frame, 4, 200, 'read reply');
  return { di: readUIntLE(frame.data, 0, 4), payload: frame.data.slice(4), followUp: c.followUp };
}

/**
 * Abnormal reply (control = function | C0H) carrying the error word: one byte (DL/T 645-2007),
 * or two when asked or when the word needs them (the 2013 supplement's 1CH word).
 */
export function encodeAbnormalResponse(address: string, functionCode: number, errorWord: number, options: { length?: 1 | 2 } = {}): Buffer {
  const length = options.length ?? (errorWord > 0xff ? 2 : 1);
  if (!Number.isInteger(errorWord) || errorWord < 0 || errorWord >= 256 ** length) {
    throw new Dlt645Error('VALUE_INVALID', `error word out of range for ${length} byte(s): ${errorWord}`, { errorWord, length });
  }
  const data = writeUIntLE(errorWord, length);
  return encodeFrame({ address, control: makeControl(functionCode, { fromMeter: true, abnormal: true }), data }, { preamble: 0 });
}

/** Convenience: decode raw bytes of one reply and return its read result. */
export function decodeReadResponseBytes(bytes: Uint8Array): ReturnType<typeof decodeReadResponse> & { address: string } {
  const frame = decodeFrame(bytes);
  return { address: frame.address, ...decodeReadResponse(frame) };
}
