// Security authentication (03H): byte layout of identity authentication, replies, the security
// error word SERR, payload codecs and their broken inputs. Frames are built here and checked
// byte by byte against the 2013 supplement's layout (no published example frames were found).
import { describe, expect, it } from 'vitest';
import {
  SecurityDI,
  decodeFrame,
  decodeIdentityAuthentication,
  decodeIdentityAuthenticationReply,
  decodePurchase,
  decodeSecurityRequest,
  decodeSecurityResponse,
  decodeSessionClosed,
  decodeWalletStatus,
  decodeAuthenticationValidity,
  encodeAuthenticationValidity,
  encodeIdentityAuthentication,
  encodeIdentityAuthenticationReply,
  encodePurchase,
  encodeSecurityRefusal,
  encodeSecurityRequest,
  encodeSecurityResponse,
  encodeAbnormalResponse,
  encodeControlResponse,
  type SecurityRefusal,
} from '../../../protocols/dlt645/index.js';
import { bytes, toHex } from './helpers.js';

const ADDRESS = '000000000161';
const esam = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('identity authentication 070000FF', () => {
  it('lays out DI, operator, ciphertext 1, random number 1 and the dispersion factor, each LSB first', () => {
    const payload = encodeIdentityAuthentication({
      ciphertext: esam(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08),
      random1: esam(0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18),
      dispersionFactor: esam(0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x61), // 0000 + meter address
    });
    const frame = encodeSecurityRequest(ADDRESS, { di: SecurityDI.identityAuthentication, operator: '12345678', payload }, { preamble: 0 });
    const expected = bytes(
      0x68, // start
      0x61, // address 000000000161, LSB first
      0x01,
      0x00,
      0x00,
      0x00,
      0x00,
      0x68, // start
      0x03, // control: security authentication
      0x20, // L = 32
      0x32, // DI0 FF
      0x33, // DI1 00
      0x33, // DI2 00
      0x3a, // DI3 07
      0xab, // C0 78
      0x89, // C1 56
      0x67, // C2 34
      0x45, // C3 12
      0x3b, // ciphertext 1, last ESAM byte (08) first
      0x3a,
      0x39,
      0x38,
      0x37,
      0x36,
      0x35,
      0x34, // … ciphertext 1's first ESAM byte (01)
      0x4b, // random number 1, 18 first
      0x4a,
      0x49,
      0x48,
      0x47,
      0x46,
      0x45,
      0x44, // … 11
      0x94, // dispersion factor, 61 first
      0x34, // 01
      0x33,
      0x33,
      0x33,
      0x33,
      0x33,
      0x33, // … 00
      0xf9, // CS
      0x16, // end
    );
    expect(toHex(frame)).toBe(toHex(expected));
    const request = decodeSecurityRequest(decodeFrame(frame));
    expect(request.di).toBe(0x070000ff);
    expect(request.operator).toBe('12345678');
    const decoded = decodeIdentityAuthentication(request.payload);
    expect(toHex(decoded.ciphertext)).toBe('01 02 03 04 05 06 07 08');
    expect(toHex(decoded.random1)).toBe('11 12 13 14 15 16 17 18');
    expect(toHex(decoded.dispersionFactor)).toBe('00 00 00 00 00 00 01 61');
  });

  it('reads random number 2 and the ESAM serial from the 83H reply', () => {
    const frame = encodeSecurityResponse(
      ADDRESS,
      SecurityDI.identityAuthentication,
      encodeIdentityAuthenticationReply({ random2: esam(0xa1, 0xb2, 0xc3, 0xd4), esamSerial: esam(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88) }),
    );
    expect(toHex(frame)).toBe(
      toHex(
        bytes(
          0x68, 0x61, 0x01, 0x00, 0x00, 0x00, 0x00, 0x68, // header
          0x83, // control: normal reply to 03H
          0x10, // L = 16
          0x32, 0x33, 0x33, 0x3a, // DI 070000FF
          0x07, 0xf6, 0xe5, 0xd4, // random number 2, D4 first
          0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, // ESAM serial, 88 first
          0x49, // CS
          0x16, // end
        ),
      ),
    );
    const outcome = decodeSecurityResponse(decodeFrame(frame));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.di).toBe(SecurityDI.identityAuthentication);
    const reply = decodeIdentityAuthenticationReply(outcome.payload);
    expect(toHex(reply.random2)).toBe('A1 B2 C3 D4');
    expect(toHex(reply.esamSerial)).toBe('11 22 33 44 55 66 77 88');
  });
});

describe('security error word SERR (C3H)', () => {
  it('puts identity-authentication failure in bit 3 of two bytes', () => {
    const frame = encodeSecurityRefusal(ADDRESS, 'identity-authentication');
    expect(toHex(frame)).toBe(toHex(bytes(0x68, 0x61, 0x01, 0x00, 0x00, 0x00, 0x00, 0x68, 0xc3, 0x02, 0x3b /* 08 */, 0x33 /* 00 */, 0x65, 0x16)));
  });

  it.each(['identity-authentication', 'esam-verification', 'repeated-top-up', 'purchase-count', 'customer-number', 'hoarding-limit', 'other'] as SecurityRefusal[])(
    '%s survives encode and decode',
    (reason) => {
      expect(decodeSecurityResponse(decodeFrame(encodeSecurityRefusal(ADDRESS, reason)))).toMatchObject({ ok: false, reason });
    },
  );

  it.each([
    // [SERR, refusal, flags]
    [0x0001, 'other', ['other']],
    [0x0002, 'repeated-top-up', ['repeatedTopUp']],
    [0x0004, 'esam-verification', ['esamVerificationFailed']],
    [0x0008, 'identity-authentication', ['identityAuthenticationFailed']],
    [0x0010, 'customer-number', ['customerNumberMismatch']],
    [0x0020, 'purchase-count', ['purchaseCountError']],
    [0x0040, 'hoarding-limit', ['hoardingLimitExceeded']],
    [0x0024, 'purchase-count', ['esamVerificationFailed', 'purchaseCountError']],
    [0x0100, 'other', ['bit8']],
  ] as const)('SERR %i → %s', (word, reason, flags) => {
    const outcome = decodeSecurityResponse(decodeFrame(encodeAbnormalResponse(ADDRESS, 0x03, word, { length: 2 })));
    expect(outcome).toEqual({ ok: false, reason, errorWord: word, flags });
  });

  it('reads a one-byte error word as the low byte, and an empty one as other', () => {
    expect(decodeSecurityResponse(decodeFrame(encodeAbnormalResponse(ADDRESS, 0x03, 0x08, { length: 1 })))).toMatchObject({ reason: 'identity-authentication' });
    const empty = decodeFrame(encodeAbnormalResponse(ADDRESS, 0x03, 0x08, { length: 1 }));
    expect(decodeSecurityResponse({ ...empty, data: new Uint8Array(0) })).toMatchObject({ ok: false, reason: 'other', errorWord: 0 });
  });

  it('refuses error words out of range and a reply to another function', () => {
    expect(() => encodeSecurityRefusal(ADDRESS, 0)).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
    expect(() => encodeSecurityRefusal(ADDRESS, 0x10000)).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
    expect(() => decodeSecurityResponse(decodeFrame(encodeControlResponse(ADDRESS, { ok: true })))).toThrow(expect.objectContaining({ code: 'FRAME_UNEXPECTED' }));
  });
});

describe('purchases 070101FF / 070102FF', () => {
  it('carries amount and purchase count as binary LSB first, the customer number in BCD and two MACs', () => {
    const payload = encodePurchase({ amountFen: 10_000, purchaseCount: 3, mac1: esam(0xde, 0xad, 0xbe, 0xef), customer: '123456789012', mac2: esam(0x01, 0x02, 0x03, 0x04) });
    expect(toHex(payload)).toBe(
      toHex(
        bytes(
          0x10, 0x27, 0x00, 0x00, // 10 000 fen = 100.00 yuan, 2710H LSB first
          0x03, 0x00, 0x00, 0x00, // purchase count 3
          0xef, 0xbe, 0xad, 0xde, // MAC 1, reversed
          0x12, 0x90, 0x78, 0x56, 0x34, 0x12, // customer 123456789012, LSB first
          0x04, 0x03, 0x02, 0x01, // MAC 2, reversed
        ),
      ),
    );
    expect(decodePurchase(payload)).toEqual({
      amountFen: 10_000,
      purchaseCount: 3,
      mac1: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
      customer: '123456789012',
      mac2: Buffer.from([0x01, 0x02, 0x03, 0x04]),
    });
  });

  it.each([
    ['a fraction of a fen', { amountFen: 1.5 }],
    ['a negative amount', { amountFen: -1 }],
    ['a purchase count beyond four bytes', { purchaseCount: 2 ** 32 }],
    ['a customer number with letters', { customer: '12345678901A' }],
    ['a short MAC', { mac1: esam(1, 2, 3) }],
  ])('refuses %s', (_what, change) => {
    const base = { amountFen: 100, purchaseCount: 1, mac1: esam(1, 2, 3, 4), customer: '000000000001', mac2: esam(1, 2, 3, 4) };
    expect(() => encodePurchase({ ...base, ...change })).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
  });
});

describe('broken payloads', () => {
  it.each([
    ['identity authentication of 23 bytes', () => decodeIdentityAuthentication(new Uint8Array(23))],
    ['identity authentication reply of 13 bytes', () => decodeIdentityAuthenticationReply(new Uint8Array(13))],
    ['purchase of 21 bytes', () => decodePurchase(new Uint8Array(21))],
    ['status query reply of 25 bytes', () => decodeWalletStatus(new Uint8Array(25))],
    ['invalidation reply of 19 bytes', () => decodeSessionClosed(new Uint8Array(19))],
    ['validity of 5 bytes', () => decodeAuthenticationValidity(new Uint8Array(5))],
  ])('%s is FRAME_UNEXPECTED', (_what, run) => {
    expect(run).toThrow(expect.objectContaining({ code: 'FRAME_UNEXPECTED' }));
  });

  it('a customer number that is not BCD is VALUE_INVALID', () => {
    const payload = Buffer.alloc(22);
    payload[12] = 0x1f;
    expect(() => decodePurchase(payload)).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
  });

  it('a 03H request shorter than DI and operator is FRAME_UNEXPECTED', () => {
    const frame = decodeFrame(encodeSecurityRequest(ADDRESS, { di: SecurityDI.statusQuery, payload: new Uint8Array(0) }));
    expect(() => decodeSecurityRequest({ ...frame, data: frame.data.subarray(0, 7) })).toThrow(expect.objectContaining({ code: 'FRAME_UNEXPECTED' }));
  });
});

describe('session validity 070001FF', () => {
  it('writes minutes in BCD and refuses 0', () => {
    const payload = encodeAuthenticationValidity({ minutes: 30, mac: esam(9, 8, 7, 6) });
    expect(toHex(payload)).toBe('30 00 06 07 08 09');
    expect(decodeAuthenticationValidity(payload)).toEqual({ minutes: 30, mac: Buffer.from([9, 8, 7, 6]) });
    expect(() => encodeAuthenticationValidity({ minutes: 0, mac: esam(1, 2, 3, 4) })).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
  });
});
