// Frame envelope: a frame spelled out byte by byte, control bytes, and a table of broken
// frames with the error code each raises.
import { describe, expect, it } from 'vitest';
import {
  FunctionCode,
  decodeFrame,
  encodeFrame,
  isDlt645Error,
  makeControl,
  parseControl,
  type Dlt645ErrorCode,
} from '../../../protocols/dlt645/index.js';
import { bytes, hex, toHex } from './helpers.js';

describe('encodeFrame', () => {
  it('writes preamble, header, data +33H, checksum and end byte', () => {
    const frame = encodeFrame({ address: '123456789012', control: 0x11, data: Uint8Array.of(0x00, 0x00, 0x01, 0x00) }, { preamble: 2 });
    const expected = bytes(
      0xfe, // preamble
      0xfe, // preamble
      0x68, // start
      0x12, // A0: address 123456789012, least significant pair first
      0x90, // A1
      0x78, // A2
      0x56, // A3
      0x34, // A4
      0x12, // A5
      0x68, // start again
      0x11, // control: read data
      0x04, // L: four data bytes
      0x33, // DI0 00 + 33H
      0x33, // DI1 00 + 33H
      0x34, // DI2 01 + 33H
      0x33, // DI3 00 + 33H
      0x68, // CS: sum of 68..last data byte mod 256 (here it equals the start byte)
      0x16, // end
    );
    expect(toHex(frame)).toBe(toHex(expected));
    expect(decodeFrame(frame)).toEqual({ address: '123456789012', control: 0x11, data: Uint8Array.of(0, 0, 1, 0) });
  });

  it('defaults to four FEH of preamble', () => {
    const frame = encodeFrame({ address: '000000000001', control: 0x13, data: new Uint8Array(0) });
    expect(toHex(frame.subarray(0, 5))).toBe('FE FE FE FE 68');
  });

  it.each([
    ['address too short', { address: '12345', control: 0x11, data: new Uint8Array(0) }, 'FRAME_BAD_ADDRESS'],
    ['address with letters', { address: '12345678901B', control: 0x11, data: new Uint8Array(0) }, 'FRAME_BAD_ADDRESS'],
    ['data longer than 200', { address: '000000000001', control: 0x11, data: new Uint8Array(201) }, 'FRAME_BAD_LENGTH'],
    ['control above FFH', { address: '000000000001', control: 0x100, data: new Uint8Array(0) }, 'VALUE_INVALID'],
  ] as const)('rejects %s', (_name, frame, code) => {
    expect(() => encodeFrame(frame)).toThrow(expect.objectContaining({ code }));
  });
});

describe('control byte', () => {
  it('splits D7 direction, D6 abnormal, D5 follow-up and D4..D0 function', () => {
    expect(parseControl(0xb1)).toEqual({ functionCode: 0x11, fromMeter: true, abnormal: false, followUp: true });
    expect(parseControl(0xd1)).toEqual({ functionCode: 0x11, fromMeter: true, abnormal: true, followUp: false });
    expect(makeControl(FunctionCode.Control, { fromMeter: true, abnormal: true })).toBe(0xdc);
    expect(makeControl(FunctionCode.Read)).toBe(0x11);
  });
});

// A valid reply (vector read-energy-response) to break in one place at a time.
const GOOD = '68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16';

const broken: [string, string, Dlt645ErrorCode][] = [
  ['empty input', '', 'FRAME_TOO_SHORT'],
  ['only preamble', 'FE FE FE FE', 'FRAME_TOO_SHORT'],
  ['header only', '68 61 01 00 00 00 00 68 91 08', 'FRAME_TOO_SHORT'],
  ['data cut short', '68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 8A 16', 'FRAME_TOO_SHORT'],
  ['first byte not 68H', '69 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16', 'FRAME_BAD_START'],
  ['second start byte missing', '68 61 01 00 00 00 00 69 91 08 33 33 34 33 59 33 33 33 8A 16', 'FRAME_BAD_START'],
  ['junk before the frame', '00 ' + GOOD, 'FRAME_BAD_START'],
  ['length above 200', '68 61 01 00 00 00 00 68 91 C9 33 33 34 33 59 33 33 33 8A 16', 'FRAME_BAD_LENGTH'],
  ['bytes after the end', GOOD + ' 00', 'FRAME_BAD_LENGTH'],
  ['checksum off by one', '68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8B 16', 'FRAME_CHECKSUM'],
  ['data byte flipped', '68 61 01 00 00 00 00 68 91 08 33 33 34 33 5A 33 33 33 8A 16', 'FRAME_CHECKSUM'],
  ['end byte 17H', '68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 17', 'FRAME_BAD_END'],
  ['address not BCD', '68 6F 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 98 16', 'FRAME_BAD_ADDRESS'],
];

describe('decodeFrame rejects broken frames', () => {
  it('accepts the unbroken frame, with or without preamble', () => {
    expect(decodeFrame(hex(GOOD)).address).toBe('000000000161');
    expect(decodeFrame(hex('FE FE ' + GOOD)).address).toBe('000000000161');
  });

  it.each(broken)('%s → %s', (_name, text, code) => {
    let caught: unknown;
    try {
      decodeFrame(hex(text));
    } catch (e) {
      caught = e;
    }
    expect(isDlt645Error(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe(code);
  });
});
