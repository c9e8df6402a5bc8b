// Byte-stream parser: bytes from a serial line or DTU in any chunking → frames and discarded junk.
//
//   push(chunk) ──► [held bytes] ──► scan for 68 ──► 68 A0..A5 68 C L ... CS 16 ──► {kind:'frame'}
//                                        │                 │ bad end / length / checksum
//                                        ▼                 ▼
//                              {kind:'discarded'}   resync on the next 68
//
// DL/T 645-2007 §5.2 (帧格式): the frame length comes from L, never from looking for 16H.
// §5.3.1 (前导字节): FEH before a frame is a wake-up preamble, not junk, and is dropped silently.
// §5.3.4 (差错控制): a frame with a bad checksum is discarded (and here, reported).
// Memory is bounded: at most one maximal frame (12 + 200 bytes) is ever held.

import {
  END_BYTE,
  FRAME_OVERHEAD,
  MAX_DATA_LENGTH,
  PREAMBLE_BYTE,
  START_BYTE,
  checksum,
  decodeFrame,
  type Dlt645Frame,
} from './frame.js';
import { isDlt645Error } from './errors.js';

export type DiscardReason = 'garbage' | 'checksum' | 'end-byte' | 'length' | 'address';

export type ParserEvent =
  | { kind: 'frame'; frame: Dlt645Frame; raw: Buffer }
  | { kind: 'discarded'; bytes: Buffer; reason: DiscardReason };

type Candidate =
  | { status: 'incomplete' }
  | { status: 'frame'; length: number }
  | { status: 'bad'; reason: DiscardReason; length: number };

/** Judge the bytes starting at `at` (which holds 68H) as a frame candidate. */
function examine(buf: Buffer, at: number): Candidate {
  const avail = buf.length - at;
  if (avail >= 8 && buf[at + 7] !== START_BYTE) return { status: 'bad', reason: 'garbage', length: 1 };
  if (avail < 10) return { status: 'incomplete' };
  const l = buf[at + 9] ?? 0;
  if (l > MAX_DATA_LENGTH) return { status: 'bad', reason: 'length', length: 10 };
  const total = FRAME_OVERHEAD + l;
  if (avail < total) return { status: 'incomplete' };
  if (buf[at + total - 1] !== END_BYTE) return { status: 'bad', reason: 'end-byte', length: total };
  if (buf[at + total - 2] !== checksum(buf, at, at + total - 2)) return { status: 'bad', reason: 'checksum', length: total };
  return { status: 'frame', length: total };
}

/** Index of the first 68H in (from, before) that starts a complete valid frame, or -1. */
function completeFrameAfter(buf: Buffer, from: number, before = buf.length): number {
  for (let k = buf.indexOf(START_BYTE, from + 1); k >= 0 && k < before; k = buf.indexOf(START_BYTE, k + 1)) {
    if (examine(buf, k).status === 'frame') return k;
  }
  return -1;
}

export class Dlt645Parser {
  private held: Buffer = Buffer.alloc(0);
  /** Bytes before this index of `held` were already reported inside a discarded checksum frame. */
  private reportedUntil = 0;

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.held.length;
  }

  reset(): void {
    this.held = Buffer.alloc(0);
    this.reportedUntil = 0;
  }

  push(chunk: Uint8Array): ParserEvent[] {
    const events: ParserEvent[] = [];
    let buf = this.held.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.held, chunk]);
    let pos = 0;
    let junkFrom = -1; // start of a run of junk not yet reported

    const flushJunk = (upTo: number): void => {
      if (junkFrom < 0) return;
      // A run of FEH right before a start byte (or at the end of input) is preamble, not junk.
      let end = upTo;
      while (end > junkFrom && buf[end - 1] === PREAMBLE_BYTE) end--;
      const from = Math.max(junkFrom, this.reportedUntil);
      if (end > from) events.push({ kind: 'discarded', bytes: Buffer.from(buf.subarray(from, end)), reason: 'garbage' });
      junkFrom = -1;
    };

    while (pos < buf.length) {
      const start = buf.indexOf(START_BYTE, pos);
      if (start < 0) {
        if (junkFrom < 0) junkFrom = pos;
        pos = buf.length;
        break;
      }
      if (start > pos && junkFrom < 0) junkFrom = pos;
      const verdict = examine(buf, start);
      if (verdict.status === 'incomplete') {
        // A 68H in junk can announce a long frame that never comes. If a complete, valid frame
        // already sits after it, that frame wins (a valid frame hidden in a frame's data would
        // need a matching checksum and end byte too), so a reply is never held back by junk.
        const later = completeFrameAfter(buf, start);
        if (later >= 0) {
          if (junkFrom < 0) junkFrom = start;
          pos = later;
          continue;
        }
        flushJunk(start);
        pos = start;
        break;
      }
      if (verdict.status === 'frame') {
        flushJunk(start);
        const raw = Buffer.from(buf.subarray(start, start + verdict.length));
        try {
          events.push({ kind: 'frame', frame: decodeFrame(raw), raw });
          pos = start + verdict.length;
          this.reportedUntil = Math.max(this.reportedUntil, pos);
        } catch (e) {
          if (!isDlt645Error(e)) throw e;
          // Only the address can still be wrong here: report the frame, resync after its 68H.
          if (start + verdict.length > this.reportedUntil) {
            events.push({ kind: 'discarded', bytes: raw, reason: 'address' });
            this.reportedUntil = start + verdict.length;
          }
          pos = start + 1;
        }
        continue;
      }
      if (verdict.reason === 'garbage') {
        // No second 68H: this start byte is junk, like everything up to the next 68H.
        if (junkFrom < 0) junkFrom = start;
        const next = buf.indexOf(START_BYTE, start + 1);
        pos = next < 0 ? buf.length : next;
        continue;
      }
      // A frame-shaped run with a bad checksum, end byte or length: report it once, as a whole,
      // then keep scanning inside it, so that a valid frame hidden in it (junk that happened to
      // look like a header) still comes out. If such a frame is already complete, the report
      // stops where it begins, so that no byte is both discarded and delivered.
      flushJunk(start);
      const end = Math.min(start + verdict.length, buf.length);
      const hidden = completeFrameAfter(buf, start, end);
      const reportEnd = hidden >= 0 ? hidden : end;
      const from = Math.max(start, this.reportedUntil);
      if (reportEnd > from) {
        events.push({ kind: 'discarded', bytes: Buffer.from(buf.subarray(from, reportEnd)), reason: verdict.reason });
      }
      this.reportedUntil = Math.max(this.reportedUntil, reportEnd);
      pos = hidden >= 0 ? hidden : start + 1;
    }
    flushJunk(pos);

    buf = buf.subarray(pos);
    this.reportedUntil = Math.max(0, this.reportedUntil - pos);
    this.held = Buffer.from(buf);
    return events;
  }
}
