// Property tests (fast-check): frame and value round trips, and the stream parser against
// random junk and random chunking.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CATALOGUE,
  Dlt645Parser,
  FRAME_OVERHEAD,
  START_BYTE,
  decodeControlRequest,
  decodeDataValue,
  decodeEnergyWh,
  decodeFrame,
  decodeMoneyFen,
  encodeControlRequest,
  encodeDataValue,
  encodeEnergyWh,
  encodeFrame,
  encodeMoneyFen,
  numberToSignedBcd,
  plaintextControl,
  signedBcdToNumber,
  type ControlAction,
  type Dlt645Frame,
} from '../../../protocols/dlt645/index.js';

const digit = fc.constantFrom(...'0123456789'.split(''));
const address = fc.oneof(
  fc.array(digit, { minLength: 12, maxLength: 12 }).map((d) => d.join('')),
  fc.constant('AAAAAAAAAAAA'),
  fc.constant('999999999999'),
);
const frameArb: fc.Arbitrary<Dlt645Frame> = fc.record({
  address,
  control: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: 200 }),
});

describe('frame round trip', () => {
  it('decodeFrame(encodeFrame(f)) === f for any address, control and data ≤ 200 bytes', () => {
    fc.assert(
      fc.property(frameArb, fc.integer({ min: 0, max: 4 }), (frame, preamble) => {
        const decoded = decodeFrame(encodeFrame(frame, { preamble }));
        expect(decoded.address).toBe(frame.address);
        expect(decoded.control).toBe(frame.control);
        expect(Buffer.from(decoded.data).equals(Buffer.from(frame.data))).toBe(true);
      }),
    );
  });
});

/** Starts of every complete valid frame in `stream` (used to rule out junk that happens to be a frame). */
function validFrameStarts(stream: Buffer): number[] {
  const starts: number[] = [];
  for (let i = stream.indexOf(START_BYTE); i >= 0; i = stream.indexOf(START_BYTE, i + 1)) {
    const l = stream[i + 9];
    if (l === undefined) continue;
    try {
      decodeFrame(stream.subarray(i, i + FRAME_OVERHEAD + l));
      starts.push(i);
    } catch {
      // not a frame here
    }
  }
  return starts;
}

describe('stream parser', () => {
  it('never throws and yields every valid frame, in order, through junk and any chunking', () => {
    const junk = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
    // Junk rich in start bytes, to exercise resync.
    const startyJunk = fc.array(fc.oneof(fc.constant(START_BYTE), fc.integer({ min: 0, max: 255 })), { maxLength: 24 }).map((a) => Buffer.from(a));
    const piece = fc.record({ before: fc.oneof(junk, startyJunk), frame: frameArb.map((f) => ({ ...f, data: f.data.subarray(0, 60) })), preamble: fc.integer({ min: 0, max: 4 }) });
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), junk, fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }), (pieces, tail, cuts) => {
        const parts: Buffer[] = [];
        const planted: number[] = [];
        let offset = 0;
        for (const p of pieces) {
          const encoded = encodeFrame(p.frame, { preamble: p.preamble });
          parts.push(p.before, encoded);
          offset += p.before.length;
          planted.push(offset + p.preamble);
          offset += encoded.length;
        }
        parts.push(tail);
        const stream = Buffer.concat(parts);
        // Skip the rare case where random junk itself forms a valid frame.
        fc.pre(validFrameStarts(stream).join(',') === planted.join(','));

        const parser = new Dlt645Parser();
        const frames: Dlt645Frame[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const size = cuts[i % cuts.length] ?? 1;
          for (const e of parser.push(stream.subarray(at, at + size))) if (e.kind === 'frame') frames.push(e.frame);
          at += size;
        }
        expect(frames.map((f) => f.address)).toEqual(pieces.map((p) => p.frame.address));
        expect(frames.map((f) => f.control)).toEqual(pieces.map((p) => p.frame.control));
        expect(frames.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(pieces.map((p) => Buffer.from(p.frame.data).toString('hex')));
        expect(parser.buffered).toBeLessThanOrEqual(FRAME_OVERHEAD + 200);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes and never holds more than one maximal frame', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (chunks) => {
        const parser = new Dlt645Parser();
        for (const c of chunks) parser.push(c);
        expect(parser.buffered).toBeLessThanOrEqual(FRAME_OVERHEAD + 200);
      }),
    );
  });
});

describe('value round trips', () => {
  it('energy: any multiple of 10 Wh up to 999999.99 kWh', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), (tens) => {
        expect(decodeEnergyWh(encodeEnergyWh(tens * 10))).toBe(tens * 10);
      }),
    );
  });

  it('energy is floored to 10 Wh', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999 }), (wh) => {
        expect(decodeEnergyWh(encodeEnergyWh(wh))).toBe(wh - (wh % 10));
      }),
    );
  });

  it('money: any fen up to 999999.99 yuan', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), (fen) => {
        expect(decodeMoneyFen(encodeMoneyFen(fen))).toBe(fen);
      }),
    );
  });

  it('signed BCD of 1..4 bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: -79_999_999, max: 79_999_999 }), (length, v) => {
        const limit = 8 * 10 ** (2 * length - 1);
        fc.pre(Math.abs(v) < limit);
        expect(signedBcdToNumber(numberToSignedBcd(v, length))).toBe(v);
      }),
    );
  });

  it('every numeric catalogue entry round-trips its raw integer', () => {
    const numeric = CATALOGUE.filter((e) => (e.kind === 'number' || e.kind === 'energy' || e.kind === 'money') && e.members === undefined);
    fc.assert(
      fc.property(fc.constantFrom(...numeric), fc.integer({ min: 0, max: 2 ** 31 }), fc.boolean(), (entry, seed, negative) => {
        const max = (entry.signed ? 8 * 10 ** (2 * entry.length - 1) : 10 ** (2 * entry.length)) - 1;
        const raw = (seed % (max + 1)) * (negative && entry.signed ? -1 : 1);
        const decimals = entry.format.includes('.') ? entry.format.length - entry.format.indexOf('.') - 1 : 0;
        const value = entry.kind === 'energy' ? raw * 10 : entry.kind === 'money' ? raw : raw / 10 ** decimals;
        const bytes = encodeDataValue(entry.di, value);
        expect(bytes.length).toBe(entry.length);
        expect(decodeDataValue(entry.di, bytes).value).toBe(value === 0 ? 0 : value);
      }),
    );
  });
});

describe('control request round trip', () => {
  const actions: ControlAction[] = ['trip', 'closePermitted', 'directClose', 'alarm', 'alarmRelease', 'keepPower', 'keepPowerRelease'];
  it('action, deadline, operator and password survive encoding', () => {
    const hex8 = fc.array(fc.constantFrom(...'0123456789ABCDEF'.split('')), { minLength: 8, maxLength: 8 }).map((a) => a.join(''));
    const pw = fc.array(digit, { minLength: 6, maxLength: 6 }).map((a) => a.join(''));
    // Whole seconds between 2000-01-01 and 2099-12-31 in UTC+8.
    const deadline = fc.integer({ min: Date.UTC(2000, 0, 1, 0, 0, 0) / 1000, max: Date.UTC(2099, 11, 31, 15, 59, 59) / 1000 }).map((s) => new Date(s * 1000));
    fc.assert(
      fc.property(address, fc.constantFrom(...actions), deadline, hex8, pw, fc.constantFrom(0x00, 0x02, 0x04) as fc.Arbitrary<0 | 2 | 4>, (addr, action, when, operator, password, level) => {
        const bytes = encodeControlRequest(addr, { action, deadline: when, operator }, plaintextControl({ level, password }));
        const d = decodeControlRequest(decodeFrame(bytes));
        expect(d).toMatchObject({ pa: level, password, operator, action });
        expect(d.deadline?.getTime()).toBe(when.getTime());
      }),
    );
  });
});
