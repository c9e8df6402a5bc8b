// Normal replies that carry nothing but "done" (or a short echo), shared by the write, clear,
// freeze and address commands. DL/T 645-2007 §7: a normal reply sets D7 and repeats the
// function code; an abnormal one also sets D6 and carries ERR.

import { FunctionCode, encodeFrame, expectReply, makeControl, type Dlt645Frame } from './frame.js';
import { throwIfAbnormal } from './read.js';

export function encodeAck(address: string, functionCode: number, data: Uint8Array = new Uint8Array(0)): Buffer {
  return encodeFrame({ address, control: makeControl(functionCode, { fromMeter: true }), data }, { preamble: 0 });
}

/** Returns the reply's data; throws FRAME_UNEXPECTED for another function, METER_ABNORMAL for a refusal. */
export function decodeAck(frame: Dlt645Frame, functionCode: number): Uint8Array {
  const name = Object.entries(FunctionCode).find(([, v]) => v === functionCode)?.[0] ?? `function ${functionCode.toString(16)}H`;
  expectReply(frame, functionCode, name);
  throwIfAbnormal(frame);
  return frame.data;
}
