// RTU framing: CRC vectors, frames both ways, and the stream parser at chunk boundaries (header
// split, CRC alone, junk before a frame, two frames in one chunk, a bad CRC then a good frame,
// a DL/T 645 frame on the same line), with every discarded byte accounted for.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RtuParser, announcedLength, crc16, crcMatches, encodeRequest, encodeRtuFrame, encodeResponse, withCrc, type RtuEvent,
} from '../../../protocols/modbus/index.js';
import { encodeReadRequest, DataIdentifier } from '../../../protocols/dlt645/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const frames = (events: RtuEvent[]) => events.filter((e) => e.kind === 'frame').map((e) => (e as Extract<RtuEvent, { kind: 'frame' }>).raw.toString('hex'));
const discarded = (events: RtuEvent[]) => events.filter((e) => e.kind === 'discarded').map((e) => `${e.kind === 'discarded' ? e.reason : ''}:${(e as { bytes: Buffer }).bytes.toString('hex')}`);

describe('CRC (Modbus over Serial Line V1.02 §2.5.1.2, §6.2.2)', () => {
  it.each([
    // Appendix B: the CRC of 02 07 is 0x1241, sent low byte first.
    ['02 07', '02 07 41 12'],
    // Unit 0x11 reads 3 holding registers from 0x006B (the standard's §6.3 request in an RTU frame).
    ['11 03 006B 0003', '11 03 006B 0003 76 87'],
    // Unit 1 reads 10 holding registers from 0.
    ['01 03 0000 000A', '01 03 0000 000A C5 CD'],
    // Unit 1 switches coil 0 on: FF00.
    ['01 05 0000 FF00', '01 05 0000 FF00 8C 3A'],
  ])('%s → %s', (body, frame) => {
    expect(withCrc(hex(body))).toEqual(hex(frame));
    expect(crcMatches(hex(frame))).toBe(true);
    expect(crc16(hex(body))).toBe(hex(frame).readUInt16LE(hex(frame).length - 2));
  });

  it('rejects a frame with any one byte changed', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 2, maxLength: 60 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (body, at, flip) => {
      const frame = withCrc(body);
      frame[at % frame.length]! ^= flip;
      expect(crcMatches(frame)).toBe(false);
    }));
  });
});

describe('RTU frames', () => {
  it('puts the unit before the PDU and the CRC after it', () => {
    const frame = encodeRtuFrame(0x11, encodeRequest({ function: 'readHoldingRegisters', address: 0x6b, quantity: 3 }));
    expect(frame).toEqual(hex(
      '11' + //        unit id 17
      '03' + //        function: read holding registers
      '006B' + //      starting address
      '0003' + //      quantity
      '7687', //       CRC, low byte first
    ));
  });

  it.each([
    ['request, read', '01 04 0000 0002', 'request', 8],
    ['request, write multiple registers with 4 data bytes', '01 10 0000 0002 04', 'request', 13],
    ['response, read of 2 registers', '01 04 04', 'response', 9],
    ['response, exception', '01 84', 'response', 5],
    ['response, write echo', '01 06', 'response', 8],
    ['response, unknown function', '01 2B', 'response', 'invalid'],
    ['response from unit 0 (nobody answers a broadcast)', '00 03', 'response', 'invalid'],
    ['unit 248 (reserved)', 'F8 03 0000 0001', 'request', 'invalid'],
    ['response, byte count not here yet', '01 03', 'response', 'more'],
  ] as const)('announced length: %s', (_name, bytes, direction, expected) => {
    expect(announcedLength(hex(bytes), 0, direction)).toBe(expected);
  });
});

describe('RtuParser at chunk boundaries', () => {
  const reply = encodeRtuFrame(3, encodeResponse({ function: 'readInputRegisters', registers: [0x1234, 0x5678] }));
  const other = encodeRtuFrame(4, encodeResponse({ function: 'writeSingleCoil', address: 0, value: true }));

  it('a frame in one chunk', () => {
    const parser = new RtuParser('response');
    const events = parser.push(reply);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'frame', unit: 3 });
    expect((events[0] as Extract<RtuEvent, { kind: 'frame' }>).pdu).toEqual(hex('04 04 1234 5678'));
    expect(parser.pending).toBe(0);
  });

  it('every split of a frame into two chunks', () => {
    for (let cut = 1; cut < reply.length; cut++) {
      const parser = new RtuParser('response');
      expect(parser.push(reply.subarray(0, cut))).toEqual([]);
      expect(frames(parser.push(reply.subarray(cut)))).toEqual([reply.toString('hex')]);
    }
  });

  it('the CRC alone in the last chunk', () => {
    const parser = new RtuParser('response');
    expect(parser.push(reply.subarray(0, -2))).toEqual([]);
    expect(frames(parser.push(reply.subarray(-2)))).toHaveLength(1);
  });

  it('byte by byte', () => {
    const parser = new RtuParser('response');
    const events = [...reply, ...other].flatMap((b) => parser.push(Buffer.from([b])));
    expect(frames(events)).toEqual([reply.toString('hex'), other.toString('hex')]);
  });

  it('two frames in one chunk', () => {
    expect(frames(new RtuParser('response').push(Buffer.concat([reply, other])))).toEqual([reply.toString('hex'), other.toString('hex')]);
  });

  it('junk before a frame is reported, and the frame kept', () => {
    const parser = new RtuParser('response');
    const events = parser.push(Buffer.concat([hex('FF FE 00'), reply]));
    expect(discarded(events)).toEqual(['garbage:fffe00']);
    expect(frames(events)).toEqual([reply.toString('hex')]);
  });

  it('junk that looks like a long frame header does not hold back a good frame behind it', () => {
    const parser = new RtuParser('response');
    // 01 03 F0: a read reply announcing 240 data bytes; the real reply follows at once.
    const events = parser.push(Buffer.concat([hex('01 03 F0'), reply]));
    expect(frames(events)).toEqual([reply.toString('hex')]);
    expect(discarded(events)).toEqual(['garbage:0103f0']);
  });

  it('a bad CRC is reported whole, and the good frame after it kept', () => {
    const bad = Buffer.from(reply);
    bad[bad.length - 1]! ^= 0xff;
    const parser = new RtuParser('response');
    const events = parser.push(Buffer.concat([bad, other]));
    expect(discarded(events)).toEqual([`crc:${bad.toString('hex')}`]);
    expect(frames(events)).toEqual([other.toString('hex')]);
  });

  it('a DL/T 645 frame on a shared line is junk to it, and a Modbus frame after it is found', () => {
    const dlt = encodeReadRequest('000000000001', DataIdentifier.forwardActiveTotal);
    const request = encodeRtuFrame(7, encodeRequest({ function: 'readInputRegisters', address: 0, quantity: 2 }));
    const parser = new RtuParser('request');
    const events = parser.push(Buffer.concat([dlt, request]));
    expect(frames(events)).toEqual([request.toString('hex')]);
    const junk = events.filter((e) => e.kind === 'discarded').reduce((n, e) => n + (e as { bytes: Buffer }).bytes.length, 0);
    expect(junk).toBe(dlt.length);
  });

  it('awaiting one reply: other units and other protocols never pass for it, at any split', () => {
    const dlt = Buffer.from('FEFEFEFE68420000000000688106333334333A8316', 'hex'); // a DL/T 645 reply on a shared line
    const stream = Buffer.concat([dlt, other, reply]);
    for (let cut = 1; cut < stream.length; cut++) {
      const parser = new RtuParser('response', { unit: 3, functionCode: 0x04 });
      const events = [...parser.push(stream.subarray(0, cut)), ...parser.push(stream.subarray(cut))];
      expect(frames(events)).toEqual([reply.toString('hex')]);
      expect(events.some((e) => e.kind === 'discarded' && e.reason === 'crc')).toBe(false);
    }
  });

  it('awaiting one reply: its exception response is its frame too', () => {
    const exceptionFrame = encodeRtuFrame(3, Buffer.from([0x84, 0x02]));
    expect(frames(new RtuParser('response', { unit: 3, functionCode: 0x04 }).push(exceptionFrame))).toEqual([exceptionFrame.toString('hex')]);
  });

  it('a request with a function the codec does not know is one frame when its CRC holds (the server answers 01)', () => {
    const unknown = encodeRtuFrame(1, Buffer.from([0x2b, 0x0e, 0x01, 0x00]));
    expect(frames(new RtuParser('request').push(unknown))).toEqual([unknown.toString('hex')]);
    const broken = Buffer.from(unknown);
    broken[broken.length - 1]! ^= 1;
    const parser = new RtuParser('request');
    expect(frames(parser.push(broken))).toEqual([]);
  });

  it('accounts for every byte of any mix of frames and noise', () => {
    fc.assert(fc.property(fc.array(fc.oneof(
      fc.constant(reply), fc.constant(other), fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => Buffer.from(b)),
    ), { maxLength: 12 }), fc.integer({ min: 1, max: 9 }), (parts, chunk) => {
      const stream = Buffer.concat(parts);
      const parser = new RtuParser('response');
      let total = 0;
      for (let i = 0; i < stream.length; i += chunk) {
        for (const e of parser.push(stream.subarray(i, i + chunk))) total += e.kind === 'frame' ? e.raw.length : e.bytes.length;
      }
      expect(total + parser.pending).toBe(stream.length);
    }));
  });
});
