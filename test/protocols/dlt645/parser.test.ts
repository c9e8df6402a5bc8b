// Stream parser: chunk boundaries, junk, resync, the 16H checksum, bounded memory.
import { describe, expect, it } from 'vitest';
import { Dlt645Parser, type ParserEvent } from '../../../protocols/dlt645/index.js';
import { hex, toHex } from './helpers.js';

// Vector read-energy-response and vector current-response-checksum-0x16.
const ENERGY = hex('68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16');
const CURRENT = hex('68 61 01 00 00 00 00 68 91 07 33 34 35 35 CC 7C 33 16 16');
// Vector frequency-response-with-preamble.
const FREQUENCY = hex('FE FE FE FE 68 00 51 44 18 11 17 68 91 06 35 33 B3 35 36 83 45 16');

function feed(parser: Dlt645Parser, ...chunks: Buffer[]): ParserEvent[] {
  return chunks.flatMap((c) => parser.push(c));
}

function describeEvents(events: ParserEvent[]): string[] {
  return events.map((e) => (e.kind === 'frame' ? `frame ${toHex(e.raw)}` : `${e.reason} ${toHex(e.bytes)}`));
}

describe('Dlt645Parser', () => {
  it('yields a whole frame from one chunk', () => {
    const p = new Dlt645Parser();
    const events = p.push(ENERGY);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'frame', frame: { address: '000000000161', control: 0x91 } });
    expect(p.buffered).toBe(0);
  });

  it('waits through a header split across chunks', () => {
    const p = new Dlt645Parser();
    expect(p.push(ENERGY.subarray(0, 5))).toEqual([]);
    expect(p.buffered).toBe(5);
    expect(p.push(ENERGY.subarray(5, 9))).toEqual([]);
    expect(describeEvents(p.push(ENERGY.subarray(9)))).toEqual([`frame ${toHex(ENERGY)}`]);
  });

  it('waits for a checksum that arrives alone, then the end byte alone', () => {
    const p = new Dlt645Parser();
    expect(p.push(ENERGY.subarray(0, ENERGY.length - 2))).toEqual([]);
    expect(p.push(ENERGY.subarray(ENERGY.length - 2, ENERGY.length - 1))).toEqual([]);
    expect(p.buffered).toBe(ENERGY.length - 1);
    expect(p.push(ENERGY.subarray(ENERGY.length - 1))).toHaveLength(1);
  });

  it('does not stop at a checksum of 16H', () => {
    const p = new Dlt645Parser();
    const events = feed(p, CURRENT.subarray(0, CURRENT.length - 1), CURRENT.subarray(CURRENT.length - 1));
    expect(describeEvents(events)).toEqual([`frame ${toHex(CURRENT)}`]);
  });

  it('reports junk before the start byte, but not the FEH preamble', () => {
    const p = new Dlt645Parser();
    const events = p.push(Buffer.concat([hex('00 11 22'), FREQUENCY]));
    expect(describeEvents(events)).toEqual(['garbage 00 11 22', `frame ${toHex(FREQUENCY.subarray(4))}`]);
  });

  it('drops a preamble that arrives in its own chunk without reporting it', () => {
    const p = new Dlt645Parser();
    expect(p.push(FREQUENCY.subarray(0, 4))).toEqual([]);
    expect(p.buffered).toBe(0);
    expect(p.push(FREQUENCY.subarray(4))).toHaveLength(1);
  });

  it('yields two frames from one chunk, in order', () => {
    const p = new Dlt645Parser();
    const events = p.push(Buffer.concat([ENERGY, CURRENT]));
    expect(describeEvents(events)).toEqual([`frame ${toHex(ENERGY)}`, `frame ${toHex(CURRENT)}`]);
  });

  it('reports a bad-checksum frame with its bytes and then yields the good one after it', () => {
    const bad = Buffer.from(ENERGY);
    bad[bad.length - 2] = 0x8b;
    const p = new Dlt645Parser();
    const events = p.push(Buffer.concat([bad, CURRENT]));
    expect(describeEvents(events)).toEqual([`checksum ${toHex(bad)}`, `frame ${toHex(CURRENT)}`]);
  });

  it('reports a frame with a wrong end byte and resyncs', () => {
    const bad = Buffer.from(ENERGY);
    bad[bad.length - 1] = 0x17;
    const p = new Dlt645Parser();
    const events = p.push(Buffer.concat([bad, CURRENT]));
    expect(describeEvents(events)).toEqual([`end-byte ${toHex(bad)}`, `frame ${toHex(CURRENT)}`]);
  });

  it('does not lose a frame behind junk that contains 68H', () => {
    const p = new Dlt645Parser();
    // 68H followed by six bytes: the real frame's 68H sits where a second start byte would be.
    const junk = hex('68 01 02 03 04 05 06');
    const events = p.push(Buffer.concat([junk, ENERGY]));
    expect(events.filter((e) => e.kind === 'frame').map((e) => toHex((e as { raw: Buffer }).raw))).toEqual([toHex(ENERGY)]);
    const discarded = Buffer.concat(events.flatMap((e) => (e.kind === 'discarded' ? [e.bytes] : [])));
    expect(toHex(discarded)).toBe(toHex(junk));
  });

  it('does not hold a complete frame back behind a junk header announcing a long frame', () => {
    const p = new Dlt645Parser();
    // 68 x6 68 C L=C8: a 212-byte frame that never comes; the real reply follows at once.
    const junk = hex('68 00 00 00 00 00 00 68 11 C8');
    const events = p.push(Buffer.concat([junk, ENERGY]));
    expect(describeEvents(events)).toEqual([`garbage ${toHex(junk)}`, `frame ${toHex(ENERGY)}`]);
    expect(p.buffered).toBe(0);
  });

  it('caps the data length at 200 and resyncs', () => {
    const p = new Dlt645Parser();
    const header = hex('68 01 00 00 00 00 00 68 91 FF');
    const events = p.push(Buffer.concat([header, ENERGY]));
    expect(describeEvents(events)).toEqual([`length ${toHex(header)}`, `frame ${toHex(ENERGY)}`]);
  });

  it('never holds more than one maximal frame', () => {
    const p = new Dlt645Parser();
    p.push(hex('68 01 00 00 00 00 00 68 91 C8'));
    for (let i = 0; i < 50; i++) p.push(Buffer.alloc(10, 0x33));
    expect(p.buffered).toBeLessThanOrEqual(12 + 200);
  });

  it('reset() forgets held bytes', () => {
    const p = new Dlt645Parser();
    p.push(ENERGY.subarray(0, 10));
    p.reset();
    expect(p.buffered).toBe(0);
    expect(describeEvents(p.push(ENERGY.subarray(10)))).toEqual(['garbage ' + toHex(ENERGY.subarray(10))]);
  });

  it('reports a frame whose address is not BCD', () => {
    const p = new Dlt645Parser();
    const bad = hex('68 6F 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 98 16');
    expect(describeEvents(p.push(bad))).toEqual([`address ${toHex(bad)}`]);
  });
});
