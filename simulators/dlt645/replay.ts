// A stub meter that answers with recorded frames: published third-party replies, byte for byte.
// Each reply is filed under the meter address, function and data identifier it answers; a
// request for one of them gets exactly those bytes, anything else is left to the meter model.
//
//   request 68 A 68 11 DI … ─▶ (address, 11H, DI) ─▶ the recorded 91H reply, as published
//   request 68 A 68 01 DI … ─▶ (address, 01H, DI) ─▶ the recorded 81H reply (DL/T 645-1997)
import {
  FunctionCode, FunctionCode1997, decode1997ReadRequest, decodeFrame, decodeReadRequest, parseControl, type Dlt645Frame,
} from '../../protocols/dlt645/index.js';
import type { Behaviour } from './behaviours.js';
import { send } from './reply.js';

const key = (address: string, functionCode: number, di: number): string => `${address} ${functionCode} ${di}`;

/** The recorded reply frames (hex, wire order, preamble allowed), answered byte for byte. */
export function replayFrames(replies: readonly string[]): Behaviour {
  const byRequest = new Map<string, Buffer>();
  for (const text of replies) {
    const bytes = Buffer.from(text.replace(/\s+/g, ''), 'hex');
    const frame = decodeFrame(bytes);
    const c = parseControl(frame.control);
    if (!c.fromMeter || c.abnormal) throw new RangeError(`not a normal reply: ${text}`);
    const diBytes = c.functionCode === FunctionCode1997.Read ? 2 : 4;
    byRequest.set(key(frame.address, c.functionCode, frame.data.subarray(0, diBytes).reduceRight((v, b) => v * 256 + b, 0)), bytes);
  }
  return {
    name: 'replayFrames',
    onRequest(frame: Dlt645Frame) {
      const fc = parseControl(frame.control).functionCode;
      let di: number;
      if (fc === FunctionCode.Read) di = decodeReadRequest(frame).di;
      else if (fc === FunctionCode1997.Read) di = decode1997ReadRequest(frame).di;
      else return undefined;
      const reply = byRequest.get(key(frame.address, fc, di));
      return reply ? send(reply) : undefined;
    },
  };
}
