// Modbus RTU framing: the serial-line ADU around a PDU, and a byte-stream parser that finds frames.
// Modbus over Serial Line V1.02 §2.3 (addresses: 0 broadcast, 1..247 units, 248..255 reserved),
// §2.5.1 (RTU frame: address, PDU, CRC; at most 256 bytes), §2.5.1.2 (CRC).
//
//   [unit][fn][data …][CRC lo][CRC hi]
//
// §2.5.1.1 delimits RTU frames by 3.5 character times of silence. Through a pseudo-terminal, a
// USB adapter or a TCP serial server that timing is lost, so this parser delimits a frame by the
// length its function code and byte count announce (as modbus-serial's RTUBufferedPort does) and
// lets the CRC confirm it. Junk is never dropped silently: it comes out as `discarded` events.
//
//   push(chunk) ─▶ [held] ─▶ header at 0 ─▶ length known? ─▶ CRC ok ─▶ {kind:'frame'}
//                                │ no unit/fn    │ a valid frame further on wins
//                                ▼               ▼ CRC bad
//                      {kind:'discarded', garbage}  {kind:'discarded', crc}
import { crcMatches, withCrc } from './crc.js';
import { EXCEPTION_FLAG, FunctionCode } from './pdu.js';

export const BROADCAST_UNIT = 0;
export const MAX_UNIT = 247;
/** §2.5.1: address (1) + PDU (at most 253) + CRC (2). */
export const MAX_RTU_FRAME = 256;

export type RtuEvent =
  | { kind: 'frame'; unit: number; pdu: Buffer; raw: Buffer }
  | { kind: 'discarded'; bytes: Buffer; reason: 'garbage' | 'crc' };

export function isUnitId(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_UNIT;
}

/** The RTU frame carrying `pdu` to or from `unit`. */
export function encodeRtuFrame(unit: number, pdu: Uint8Array): Buffer {
  const body = Buffer.alloc(1 + pdu.length);
  body[0] = unit;
  body.set(pdu, 1);
  return withCrc(body);
}

const READS: ReadonlySet<number> = new Set([FunctionCode.readCoils, FunctionCode.readDiscreteInputs, FunctionCode.readHoldingRegisters, FunctionCode.readInputRegisters]);
const WRITES: ReadonlySet<number> = new Set([FunctionCode.writeSingleCoil, FunctionCode.writeSingleRegister, FunctionCode.writeMultipleCoils, FunctionCode.writeMultipleRegisters]);

/**
 * Total frame length announced by the header at `at`: a number, 'more' when more bytes are needed
 * to know it, or 'invalid' when no frame of this direction can start here.
 */
export function announcedLength(buf: Uint8Array, at: number, direction: 'request' | 'response'): number | 'more' | 'invalid' {
  const avail = buf.length - at;
  if (avail < 2) return 'more';
  const unit = buf[at]!;
  const fn = buf[at + 1]!;
  if (unit > MAX_UNIT || (direction === 'response' && unit === BROADCAST_UNIT)) return 'invalid';
  if (direction === 'response') {
    // Modbus Application Protocol V1.1b3 §7: an exception response is 5 bytes whatever the function.
    if ((fn & EXCEPTION_FLAG) !== 0) return fn === EXCEPTION_FLAG ? 'invalid' : 5;
    if (READS.has(fn)) return avail < 3 ? 'more' : 5 + buf[at + 2]!;
    return WRITES.has(fn) ? 8 : 'invalid';
  }
  if (READS.has(fn) || fn === FunctionCode.writeSingleCoil || fn === FunctionCode.writeSingleRegister) return 8;
  if (fn === FunctionCode.writeMultipleCoils || fn === FunctionCode.writeMultipleRegisters) return avail < 7 ? 'more' : 9 + buf[at + 6]!;
  // A function this codec does not know: its length is not announced. A server still has to
  // answer it (exception 01), so the bytes that have arrived are taken as one frame when their
  // CRC holds — the pause after them is the §2.5.1.1 delimiter this stream cannot see.
  if (fn >= 1 && fn < EXCEPTION_FLAG && avail >= 4 && crcMatches(buf, at, buf.length)) return avail;
  return 'invalid';
}

/** A client awaiting one reply: frames are looked for only where this unit and function (or its exception) begin. */
export interface RtuExpectation {
  unit: number;
  functionCode: number;
}

/**
 * Stream parser for one direction of an RTU line (requests on a server, responses on a client).
 * Given the reply it awaits, a client's parser starts frames only at that unit and function, so
 * other traffic on a shared line (DL/T 645 frames, other units) cannot pass for its frame.
 */
export class RtuParser {
  private held: Buffer = Buffer.alloc(0);

  constructor(private readonly direction: 'request' | 'response', private readonly expecting?: RtuExpectation) {}

  private lengthAt(k: number): number | 'more' | 'invalid' {
    if (this.expecting) {
      if (this.held[k] !== this.expecting.unit) return 'invalid';
      if (k + 1 < this.held.length && ((this.held[k + 1]! & 0x7f) !== this.expecting.functionCode)) return 'invalid';
    }
    return announcedLength(this.held, k, this.direction);
  }

  /** Bytes held while a frame is incomplete. */
  get pending(): number {
    return this.held.length;
  }

  push(chunk: Uint8Array): RtuEvent[] {
    this.held = this.held.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.held, chunk]);
    const events: RtuEvent[] = [];
    let garbageFrom = -1;
    let at = 0;
    const flushGarbage = (until: number) => {
      if (garbageFrom >= 0 && until > garbageFrom) events.push({ kind: 'discarded', bytes: Buffer.from(this.held.subarray(garbageFrom, until)), reason: 'garbage' });
      garbageFrom = -1;
    };
    while (at < this.held.length) {
      const length = this.lengthAt(at);
      if (length === 'invalid' || (typeof length === 'number' && length > MAX_RTU_FRAME)) {
        if (garbageFrom < 0) garbageFrom = at;
        at++;
        continue;
      }
      if (length === 'more' || at + length > this.held.length) {
        // Incomplete here; a complete valid frame further on means this header was junk.
        const next = this.validFrameAfter(at);
        if (next < 0) break;
        if (garbageFrom < 0) garbageFrom = at;
        at = next;
        continue;
      }
      if (crcMatches(this.held, at, at + length)) {
        flushGarbage(at);
        const raw = Buffer.from(this.held.subarray(at, at + length));
        events.push({ kind: 'frame', unit: raw[0]!, pdu: raw.subarray(1, length - 2), raw });
        at += length;
        continue;
      }
      const next = this.validFrameAfter(at);
      if (next >= 0 && next < at + length) {
        if (garbageFrom < 0) garbageFrom = at;
        at = next;
        continue;
      }
      flushGarbage(at);
      events.push({ kind: 'discarded', bytes: Buffer.from(this.held.subarray(at, at + length)), reason: 'crc' });
      at += length;
    }
    flushGarbage(at);
    this.held = Buffer.from(this.held.subarray(at));
    if (this.held.length > 2 * MAX_RTU_FRAME) {
      // Bounded memory: keep the last possible frame's worth of bytes.
      const drop = this.held.length - MAX_RTU_FRAME;
      events.push({ kind: 'discarded', bytes: Buffer.from(this.held.subarray(0, drop)), reason: 'garbage' });
      this.held = Buffer.from(this.held.subarray(drop));
    }
    return events;
  }

  /** Index after `from` where a complete frame with a good CRC starts, or -1. */
  private validFrameAfter(from: number): number {
    for (let k = from + 1; k + 4 <= this.held.length; k++) {
      const length = this.lengthAt(k);
      if (typeof length === 'number' && length <= MAX_RTU_FRAME && k + length <= this.held.length && crcMatches(this.held, k, k + length)) return k;
    }
    return -1;
  }
}
