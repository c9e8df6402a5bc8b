// The DL/T 645 frame envelope, shared by the 2007 and 1997 editions.
//
//   FE FE FE FE | 68 | A0 A1 A2 A3 A4 A5 | 68 | C | L | DATA (+33H) ... | CS | 16
//   preamble      start  address LSB first  start ctrl len  L bytes          sum  end
//
// DL/T 645-2007 §5.2 (帧格式): CS is the sum mod 256 of every byte from the first 68H up to the
// last data byte; the frame ends at 68H + 12 + L bytes, whatever the values inside (a checksum
// or data byte may itself be 16H). §5.3.1 (前导字节): up to four FEH wake the receiver and are
// not part of the frame.

import { Dlt645Error } from './errors.js';
import { addOffset33, addressToBytes, bytesToAddress, removeOffset33 } from './bcd.js';

export interface Dlt645Frame {
  /** 12 chars as printed on the meter, most significant digit first; 'AAAAAAAAAAAA' wildcard, '999999999999' broadcast. */
  address: string;
  /** The whole control byte. */
  control: number;
  /** Data field with 0x33 already subtracted. */
  data: Uint8Array;
}

export const START_BYTE = 0x68;
export const END_BYTE = 0x16;
export const PREAMBLE_BYTE = 0xfe;
/** Bytes around the data field: 68, 6 address bytes, 68, C, L, CS, 16. */
export const FRAME_OVERHEAD = 12;
/** DL/T 645-2007 §5.2.4 (数据域长度): L ≤ 200 for reads (≤ 50 for writes). */
export const MAX_DATA_LENGTH = 200;
export const WILDCARD_ADDRESS = 'AAAAAAAAAAAA';
export const BROADCAST_ADDRESS = '999999999999';
export const DEFAULT_PREAMBLE = 4;

/** DL/T 645-2007 §5.2.3 (控制码): function codes D4..D0. */
export const FunctionCode = {
  /** 2013 supplement / Q/GDW 1365: security authentication (安全认证), not in the 2007 text itself. */
  SecurityAuthentication: 0x03,
  BroadcastTime: 0x08,
  Read: 0x11,
  ReadFollowUp: 0x12,
  ReadAddress: 0x13,
  Write: 0x14,
  WriteAddress: 0x15,
  Freeze: 0x16,
  ChangeBaud: 0x17,
  ChangePassword: 0x18,
  MaxDemandClear: 0x19,
  MeterClear: 0x1a,
  EventClear: 0x1b,
  Control: 0x1c,
} as const;

const DIRECTION_BIT = 0x80; // D7: 0 from the master station, 1 from the meter
const ABNORMAL_BIT = 0x40; // D6: 1 = abnormal reply
const FOLLOW_UP_BIT = 0x20; // D5: 1 = more data frames follow

export function parseControl(control: number): {
  functionCode: number;
  fromMeter: boolean;
  abnormal: boolean;
  followUp: boolean;
} {
  return {
    functionCode: control & 0x1f,
    fromMeter: (control & DIRECTION_BIT) !== 0,
    abnormal: (control & ABNORMAL_BIT) !== 0,
    followUp: (control & FOLLOW_UP_BIT) !== 0,
  };
}

export function makeControl(
  functionCode: number,
  flags: { fromMeter?: boolean; abnormal?: boolean; followUp?: boolean } = {},
): number {
  if (!Number.isInteger(functionCode) || functionCode < 0 || functionCode > 0x1f) {
    throw new Dlt645Error('VALUE_INVALID', `function code out of range: ${functionCode}`, { functionCode });
  }
  return (
    functionCode |
    (flags.fromMeter ? DIRECTION_BIT : 0) |
    (flags.abnormal ? ABNORMAL_BIT : 0) |
    (flags.followUp ? FOLLOW_UP_BIT : 0)
  );
}

export function checksum(bytes: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + (bytes[i] ?? 0)) & 0xff;
  return sum;
}

/**
 * The header of a frame-shaped run that failed its checksum (or end byte): address, control byte,
 * the checksum it carries and the one its bytes add up to. Tells whose reply was garbled, which a
 * bad frame cannot be decoded to say. Null when the run is not 68 A0..A5 68 C L … CS 16 in shape.
 * DL/T 645-2007 §5.2: CS is the byte before the end byte, at 68H + 10 + L.
 */
export function frameHeaderOf(bytes: Uint8Array): { address: string; control: number; checksum: number; sum: number } | null {
  let s = 0;
  while (s < bytes.length && bytes[s] === PREAMBLE_BYTE) s++;
  if (bytes.length - s < FRAME_OVERHEAD || bytes[s] !== START_BYTE || bytes[s + 7] !== START_BYTE) return null;
  const total = FRAME_OVERHEAD + (bytes[s + 9] ?? 0);
  if (bytes.length - s < total) return null;
  let address: string;
  try {
    address = bytesToAddress(bytes.subarray(s + 1, s + 7));
  } catch (e) {
    if (e instanceof Dlt645Error) return null;
    throw e;
  }
  return { address, control: bytes[s + 8]!, checksum: bytes[s + total - 2]!, sum: checksum(bytes, s, s + total - 2) };
}

export function encodeFrame(frame: Dlt645Frame, options: { preamble?: number } = {}): Buffer {
  const preamble = options.preamble ?? DEFAULT_PREAMBLE;
  if (!Number.isInteger(preamble) || preamble < 0 || preamble > 16) {
    throw new Dlt645Error('VALUE_INVALID', `preamble count out of range: ${preamble}`, { preamble });
  }
  if (!Number.isInteger(frame.control) || frame.control < 0 || frame.control > 0xff) {
    throw new Dlt645Error('VALUE_INVALID', `control byte out of range: ${frame.control}`, { control: frame.control });
  }
  if (frame.data.length > MAX_DATA_LENGTH) {
    throw new Dlt645Error('FRAME_BAD_LENGTH', `data field of ${frame.data.length} bytes exceeds ${MAX_DATA_LENGTH}`, {
      length: frame.data.length,
    });
  }
  const address = addressToBytes(frame.address);
  const out = Buffer.alloc(preamble + FRAME_OVERHEAD + frame.data.length, PREAMBLE_BYTE);
  let p = preamble;
  const start = p;
  out[p++] = START_BYTE;
  address.copy(out, p);
  p += 6;
  out[p++] = START_BYTE;
  out[p++] = frame.control;
  out[p++] = frame.data.length;
  addOffset33(frame.data).copy(out, p);
  p += frame.data.length;
  out[p] = checksum(out, start, p);
  out[p + 1] = END_BYTE;
  return out;
}

/** Decode exactly one frame (optionally preceded by FEH). Throws Dlt645Error on any defect. */
export function decodeFrame(bytes: Uint8Array): Dlt645Frame {
  let s = 0;
  while (s < bytes.length && bytes[s] === PREAMBLE_BYTE) s++;
  const available = bytes.length - s;
  if (available < FRAME_OVERHEAD) {
    throw new Dlt645Error('FRAME_TOO_SHORT', `frame needs at least ${FRAME_OVERHEAD} bytes, got ${available}`, {
      length: available,
    });
  }
  if (bytes[s] !== START_BYTE || bytes[s + 7] !== START_BYTE) {
    throw new Dlt645Error('FRAME_BAD_START', 'frame does not start with 68 A0..A5 68', {
      first: bytes[s],
      seventh: bytes[s + 7],
    });
  }
  const length = bytes[s + 9] ?? 0;
  if (length > MAX_DATA_LENGTH) {
    throw new Dlt645Error('FRAME_BAD_LENGTH', `data length ${length} exceeds ${MAX_DATA_LENGTH}`, { length });
  }
  const total = FRAME_OVERHEAD + length;
  if (available < total) {
    throw new Dlt645Error('FRAME_TOO_SHORT', `frame of data length ${length} needs ${total} bytes, got ${available}`, {
      length: available,
      expected: total,
    });
  }
  if (available > total) {
    throw new Dlt645Error('FRAME_BAD_LENGTH', `${available - total} byte(s) after the end of the frame`, {
      length: available,
      expected: total,
    });
  }
  const csAt = s + 10 + length;
  if (bytes[csAt + 1] !== END_BYTE) {
    throw new Dlt645Error('FRAME_BAD_END', 'frame does not end with 16H', { end: bytes[csAt + 1] });
  }
  const expected = checksum(bytes, s, csAt);
  if (bytes[csAt] !== expected) {
    throw new Dlt645Error('FRAME_CHECKSUM', 'checksum mismatch', { received: bytes[csAt], expected });
  }
  return {
    address: bytesToAddress(bytes.subarray(s + 1, s + 7)),
    control: bytes[s + 8] ?? 0,
    data: removeOffset33(bytes.subarray(s + 10, csAt)),
  };
}

/** Throws FRAME_UNEXPECTED unless the frame is a reply from a meter to `functionCode`. */
export function expectReply(frame: Dlt645Frame, functionCode: number, what: string): ReturnType<typeof parseControl> {
  const c = parseControl(frame.control);
  if (!c.fromMeter || c.functionCode !== functionCode) {
    throw new Dlt645Error('FRAME_UNEXPECTED', `expected a meter reply to ${what}`, {
      control: frame.control,
      expectedFunction: functionCode,
    });
  }
  return c;
}

/** Throws FRAME_UNEXPECTED unless the frame is a master-station request with `functionCode`. */
export function expectRequest(frame: Dlt645Frame, functionCode: number, what: string): void {
  const c = parseControl(frame.control);
  if (c.fromMeter || c.functionCode !== functionCode) {
    throw new Dlt645Error('FRAME_UNEXPECTED', `expected a ${what} request`, {
      control: frame.control,
      expectedFunction: functionCode,
    });
  }
}

export function expectDataLength(frame: Dlt645Frame, min: number, max: number, what: string): void {
  if (frame.data.length < min || frame.data.length > max) {
    throw new Dlt645Error('FRAME_UNEXPECTED', `${what}: data length ${frame.data.length} not in ${min}..${max}`, {
      length: frame.data.length,
      min,
      max,
    });
  }
}
