// Remote control 1CH: request layout, strategies, outcomes and the error-word mapping.
import { describe, expect, it } from 'vitest';
import {
  EsamControlStrategy,
  decodeControlRequest,
  decodeControlResponse,
  decodeFrame,
  encodeAbnormalResponse,
  encodeControlRequest,
  encodeControlResponse,
  isDlt645Error,
  plaintextControl,
  type ControlRefusal,
} from '../../../protocols/dlt645/index.js';
import { bytes, toHex } from './helpers.js';

const DEADLINE = new Date('2026-11-22T10:15:30+08:00');

describe('encodeControlRequest', () => {
  it('lays out PA, password, operator, N1, N2 and the deadline', () => {
    const frame = encodeControlRequest(
      '000000000161',
      { action: 'directClose', deadline: DEADLINE, operator: '12345678' },
      plaintextControl({ level: 0x02, password: '123456' }),
      { preamble: 0 },
    );
    const expected = bytes(
      0x68, // start
      0x61, // address 000000000161, LSB first
      0x01,
      0x00,
      0x00,
      0x00,
      0x00,
      0x68, // start
      0x1c, // control: remote control
      0x10, // L = 16
      0x35, // PA 02
      0x89, // P0 56
      0x67, // P1 34
      0x45, // P2 12
      0xab, // C0 78
      0x89, // C1 56
      0x67, // C2 34
      0x45, // C3 12
      0x4f, // N1 1C direct close
      0x33, // N2 00 reserved
      0x63, // N3 ss 30
      0x48, // N4 mm 15
      0x43, // N5 hh 10
      0x55, // N6 DD 22
      0x44, // N7 MM 11
      0x59, // N8 YY 26
      0x0a, // CS
      0x16, // end
    );
    expect(toHex(frame)).toBe(toHex(expected));
  });

  it('writes the deadline in the meter clock’s zone', () => {
    const frame = encodeControlRequest('000000000001', { action: 'trip', deadline: DEADLINE, utcOffsetMinutes: 0 }, plaintextControl());
    const d = decodeControlRequest(decodeFrame(frame), { utcOffsetMinutes: 0 });
    expect(d.deadline?.toISOString()).toBe(DEADLINE.toISOString());
    expect(decodeFrame(frame).data[12]).toBe(0x02); // hh = 02 UTC
  });

  it('refuses deadlines two BCD digits of year cannot carry, and bad operators', () => {
    const strategy = plaintextControl();
    expect(() => encodeControlRequest('000000000001', { action: 'trip', deadline: new Date('2100-01-01T00:00:00+08:00') }, strategy)).toThrow(
      expect.objectContaining({ code: 'VALUE_INVALID' }),
    );
    expect(() => encodeControlRequest('000000000001', { action: 'trip', deadline: new Date(Number.NaN) }, strategy)).toThrow(
      expect.objectContaining({ code: 'VALUE_INVALID' }),
    );
    expect(() => encodeControlRequest('000000000001', { action: 'trip', deadline: DEADLINE, operator: 'xyz' }, strategy)).toThrow(
      expect.objectContaining({ code: 'VALUE_INVALID' }),
    );
  });
});

describe('ESAM strategy', () => {
  it('says NOT_SUPPORTED without an encryption machine', () => {
    let caught: unknown;
    try {
      encodeControlRequest('000000000001', { action: 'trip', deadline: DEADLINE }, new EsamControlStrategy());
    } catch (e) {
      caught = e;
    }
    expect(isDlt645Error(caught) && caught.code).toBe('NOT_SUPPORTED');
  });

  it('sends PA 98H and the cipher’s bytes, which decode as opaque', () => {
    const cipher = { encryptControlBlock: (_a: string, plain: Uint8Array) => Uint8Array.from([...plain, ...plain].map((b) => b ^ 0x5a)) };
    const frame = decodeFrame(encodeControlRequest('000000000001', { action: 'trip', deadline: DEADLINE }, new EsamControlStrategy(cipher)));
    const d = decodeControlRequest(frame);
    expect(d.pa).toBe(0x98);
    expect(d.action).toBeNull();
    expect(d.deadline).toBeNull();
    expect(d.body.length).toBe(16);
  });
});

describe('decodeControlRequest', () => {
  it('gives a null deadline when the six bytes are not a date', () => {
    const frame = decodeFrame(encodeControlRequest('000000000001', { action: 'keepPower', deadline: DEADLINE }, plaintextControl()));
    const bad = { ...frame, data: Uint8Array.from(frame.data) };
    bad.data[13] = 0x31; // DD = 31 …
    bad.data[14] = 0x02; // … of February
    const d = decodeControlRequest(bad);
    expect(d.action).toBe('keepPower');
    expect(d.deadline).toBeNull();
  });

  it('rejects a reply or another function', () => {
    expect(() => decodeControlRequest(decodeFrame(encodeControlResponse('000000000001', { ok: true })))).toThrow(
      expect.objectContaining({ code: 'FRAME_UNEXPECTED' }),
    );
  });
});

describe('control outcomes', () => {
  it.each(['keep-power', 'unauthorised', 'expired', 'other'] as ControlRefusal[])('%s survives encode and decode', (reason) => {
    const outcome = decodeControlResponse(decodeFrame(encodeControlResponse('000000000001', { ok: false, reason })));
    expect(outcome).toMatchObject({ ok: false, reason });
  });

  it.each([
    // [error word, bytes on the wire, refusal, flags]
    [0x0020, 2, 'keep-power', ['tripRefusedKeepPower']],
    [0x0040, 2, 'keep-power', ['preTripRefusedKeepPower']],
    [0x0010, 2, 'expired', ['deadlineExpired']],
    [0x0008, 2, 'unauthorised', ['identityAuthenticationTimeout']],
    [0x0002, 2, 'unauthorised', ['macError']],
    [0x0001, 2, 'unauthorised', ['meterSuspended']],
    [0x0004, 1, 'unauthorised', ['unauthorised']],
    [0x0020, 1, 'keep-power', ['tripRefusedKeepPower']],
    [0x0001, 1, 'other', ['other']],
    [0x0002, 1, 'other', ['noRequestedData']],
    [0x0100, 2, 'other', ['preTripRefusedTripped']],
    [0x0024, 2, 'keep-power', ['unauthorised', 'tripRefusedKeepPower']],
  ] as const)('error word %i in %i byte(s) → %s', (word, length, reason, flags) => {
    const frame = decodeFrame(encodeAbnormalResponse('000000000001', 0x1c, word, { length }));
    expect(frame.data.length).toBe(length);
    const outcome = decodeControlResponse(frame);
    expect(outcome).toEqual({ ok: false, reason, errorWord: word, flags });
  });
});
