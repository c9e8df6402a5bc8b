// ESAM-protected bodies: encrypted remote control (1CH, PA 98H, L = 28) and MAC-protected
// writes (14H, PA 99H plaintext + MAC, PA 98H ciphertext + MAC), with fast-check round trips of
// every 03H payload codec.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  EsamControlStrategy,
  decodeControlRequest,
  decodeEsamControlBody,
  decodeFrame,
  decodeIdentityAuthentication,
  decodeIdentityAuthenticationReply,
  decodeProtectedWriteRequest,
  decodePurchase,
  decodeSessionClosed,
  decodeWalletStatus,
  decodeWriteRequest,
  encodeControlRequest,
  encodeEsamControlBody,
  encodeIdentityAuthentication,
  encodeIdentityAuthenticationReply,
  encodeMoneyFen,
  encodeProtectedWriteRequest,
  encodePurchase,
  encodeSessionClosed,
  encodeWalletStatus,
  encodeWriteRequest,
} from '../../../protocols/dlt645/index.js';
import { toHex } from './helpers.js';

const DEADLINE = new Date('2026-11-22T10:15:30+08:00');
const seq = (n: number, from = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe('encrypted remote control (1CH, PA 98H)', () => {
  it('sends L = 28: PA, password, operator and ciphertext + MAC reversed as one block', () => {
    const body = encodeEsamControlBody({ ciphertext: seq(16, 0x10), mac: Uint8Array.from([0xa1, 0xa2, 0xa3, 0xa4]) });
    const strategy = new EsamControlStrategy({ encryptControlBlock: () => body });
    const frame = decodeFrame(encodeControlRequest('000000000001', { action: 'trip', deadline: DEADLINE, operator: '00000001' }, strategy));
    expect(frame.data.length).toBe(28);
    expect(frame.data[0]).toBe(0x98); // PA
    expect(toHex(frame.data.subarray(8, 12))).toBe('A4 A3 A2 A1'); // the MAC's last byte travels first
    expect(toHex(frame.data.subarray(24))).toBe('13 12 11 10'); // … and the ciphertext's first byte last
    const d = decodeControlRequest(frame);
    expect(d.action).toBeNull();
    const block = decodeEsamControlBody(d.body);
    expect(toHex(block.ciphertext)).toBe(toHex(seq(16, 0x10)));
    expect(toHex(block.mac)).toBe('A1 A2 A3 A4');
  });

  it('hands the cipher the plaintext N1..N8', () => {
    let seen: Uint8Array | undefined;
    const strategy = new EsamControlStrategy({
      encryptControlBlock: (_a, plain) => {
        seen = plain;
        return encodeEsamControlBody({ ciphertext: new Uint8Array(16), mac: new Uint8Array(4) });
      },
    });
    encodeControlRequest('000000000001', { action: 'directClose', deadline: DEADLINE }, strategy);
    expect(toHex(seen ?? new Uint8Array())).toBe('1C 00 30 15 10 22 11 26');
  });

  it('refuses bodies of the wrong size', () => {
    expect(() => encodeEsamControlBody({ ciphertext: new Uint8Array(8), mac: new Uint8Array(4) })).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
    expect(() => encodeEsamControlBody({ ciphertext: new Uint8Array(16), mac: new Uint8Array(3) })).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
    expect(() => decodeEsamControlBody(new Uint8Array(16))).toThrow(expect.objectContaining({ code: 'FRAME_UNEXPECTED' }));
  });
});

describe('MAC-protected writes (14H)', () => {
  it('99H: the value as DL/T 645 encodes it, then the MAC reversed', () => {
    const value = encodeMoneyFen(5_000); // alarm level 1 = 50.00 yuan, 04001001
    const frame = decodeFrame(encodeProtectedWriteRequest('000000000001', 0x04001001, { level: 0x99, value, mac: Uint8Array.from([1, 2, 3, 4]) }, { operator: '00000007' }));
    const w = decodeWriteRequest(frame);
    expect(w.pa).toBe(0x99);
    expect(toHex(w.value)).toBe(`${toHex(value)} 04 03 02 01`);
    const p = decodeProtectedWriteRequest(frame);
    expect(p).toMatchObject({ di: 0x04001001, pa: 0x99, operator: '00000007' });
    expect(toHex(p.data)).toBe(toHex(value));
    expect(toHex(p.mac)).toBe('01 02 03 04');
  });

  it('98H: ciphertext reversed, then the MAC reversed', () => {
    const frame = decodeFrame(encodeProtectedWriteRequest('000000000001', 0x04000108, { level: 0x98, ciphertext: seq(16), mac: Uint8Array.from([9, 9, 9, 1]) }));
    const p = decodeProtectedWriteRequest(frame);
    expect(p.pa).toBe(0x98);
    expect(toHex(p.data)).toBe(toHex(seq(16)));
    expect(toHex(p.mac)).toBe('09 09 09 01');
    expect(frame.data[12]).toBe(15); // first ciphertext byte on the wire is its last
  });

  it('refuses plaintext levels and writes with nothing before the MAC', () => {
    expect(() => decodeProtectedWriteRequest(decodeFrame(encodeWriteRequest('000000000001', 0x04001001, encodeMoneyFen(1), { level: 2 })))).toThrow(
      expect.objectContaining({ code: 'FRAME_UNEXPECTED' }),
    );
    expect(() => decodeProtectedWriteRequest(decodeFrame(encodeWriteRequest('000000000001', 0x04001001, Uint8Array.from([1, 2, 3, 4]), { level: 0x99 })))).toThrow(
      expect.objectContaining({ code: 'FRAME_UNEXPECTED' }),
    );
    expect(() => encodeProtectedWriteRequest('000000000001', 0x04001001, { level: 0x99, value: Uint8Array.from([1]), mac: Uint8Array.from([1]) })).toThrow(
      expect.objectContaining({ code: 'VALUE_INVALID' }),
    );
  });
});

const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b));
const customer = fc.array(fc.constantFrom(...'0123456789'.split('')), { minLength: 12, maxLength: 12 }).map((d) => d.join(''));
const u32 = fc.integer({ min: 0, max: 0xffffffff });

describe('round trips (fast-check)', () => {
  it('identity authentication request and reply', () => {
    fc.assert(
      fc.property(bytesOf(8), bytesOf(8), bytesOf(8), bytesOf(4), bytesOf(8), (ciphertext, random1, dispersionFactor, random2, esamSerial) => {
        expect(decodeIdentityAuthentication(encodeIdentityAuthentication({ ciphertext, random1, dispersionFactor }))).toEqual({ ciphertext, random1, dispersionFactor });
        expect(decodeIdentityAuthenticationReply(encodeIdentityAuthenticationReply({ random2, esamSerial }))).toEqual({ random2, esamSerial });
      }),
    );
  });

  it('purchases, wallet status and the closing wallet', () => {
    fc.assert(
      fc.property(u32, u32, bytesOf(4), customer, bytesOf(4), (amountFen, purchaseCount, mac1, c, mac2) => {
        expect(decodePurchase(encodePurchase({ amountFen, purchaseCount, mac1, customer: c, mac2 }))).toEqual({ amountFen, purchaseCount, mac1, customer: c, mac2 });
        const status = { remainingFen: amountFen, remainingMac: mac1, purchaseCount, purchaseCountMac: mac2, customer: c, keyInfo: mac1 };
        expect(decodeWalletStatus(encodeWalletStatus(status))).toEqual(status);
        const closed = { customer: c, remainingFen: amountFen, purchaseCount, keyInfo: mac2 };
        expect(decodeSessionClosed(encodeSessionClosed(closed))).toEqual(closed);
      }),
    );
  });

  it('encrypted control bodies and protected writes', () => {
    fc.assert(
      fc.property(bytesOf(16), bytesOf(4), fc.uint8Array({ minLength: 1, maxLength: 32 }), (ciphertext, mac, value) => {
        expect(decodeEsamControlBody(encodeEsamControlBody({ ciphertext, mac }))).toEqual({ ciphertext, mac });
        const plain = decodeProtectedWriteRequest(decodeFrame(encodeProtectedWriteRequest('000000000001', 0x04001002, { level: 0x99, value, mac })));
        expect(plain.data).toEqual(Buffer.from(value));
        expect(plain.mac).toEqual(mac);
        const cipher = decodeProtectedWriteRequest(decodeFrame(encodeProtectedWriteRequest('000000000001', 0x04001002, { level: 0x98, ciphertext: value, mac })));
        expect(cipher.data).toEqual(Buffer.from(value));
      }),
    );
  });
});
