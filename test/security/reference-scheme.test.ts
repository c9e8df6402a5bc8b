// The reference key scheme from both ends: what the head-end's module computes, the meter's
// ESAM (holding only its diversified keys) accepts, and nothing else.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  dispersionFactorOf,
  identityCiphertext,
  meterKeys,
  openControl,
  openParameter,
  protectControl,
  protectParameter,
  sessionKey,
} from '../../src/security/reference-scheme.js';
import { testMasterKeys } from '../../src/security/test-keys.js';

const ADDRESS = '000000000161';
const inputs = { random1: Buffer.alloc(8, 0x11), random2: Buffer.from([1, 2, 3, 4]), esamSerial: Buffer.from('0102030405060708', 'hex') };

describe('reference scheme', () => {
  it('puts 00 00 before the address in the dispersion factor', () => {
    expect(dispersionFactorOf(ADDRESS).toString('hex')).toBe('0000000000000161');
    expect(() => dispersionFactorOf('AAAAAAAAAAAA')).toThrow(RangeError);
  });

  it('diversifies: two meters, or two key versions, share no key', () => {
    const a = meterKeys(testMasterKeys(1), dispersionFactorOf(ADDRESS));
    const b = meterKeys(testMasterKeys(1), dispersionFactorOf('000000000162'));
    const a0 = meterKeys(testMasterKeys(0), dispersionFactorOf(ADDRESS));
    expect(a.control.equals(b.control)).toBe(false);
    expect(a.control.equals(a0.control)).toBe(false);
    expect(a.control.equals(a.identity)).toBe(false);
  });

  it('binds the session to random number 2 and the ESAM serial', () => {
    const k = meterKeys(testMasterKeys(1), dispersionFactorOf(ADDRESS)).control;
    const s = sessionKey(k, inputs);
    expect(sessionKey(k, { ...inputs, random2: Buffer.from([1, 2, 3, 5]) }).equals(s)).toBe(false);
    expect(sessionKey(k, { ...inputs, esamSerial: Buffer.from('0102030405060709', 'hex') }).equals(s)).toBe(false);
    expect(identityCiphertext(k, inputs.random1).length).toBe(8);
  });

  it('opens a control block only under the same session and address, with its MAC intact', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ minLength: 4, maxLength: 4 }), (plain, r2) => {
        const k = meterKeys(testMasterKeys(1), dispersionFactorOf(ADDRESS)).control;
        const s = sessionKey(k, { ...inputs, random2: Buffer.from(r2) });
        const block = protectControl(s, ADDRESS, plain);
        expect(openControl(s, ADDRESS, block)).toEqual(Buffer.from(plain));
        expect(openControl(s, '000000000162', block)).toBeNull();
        const otherSession = sessionKey(k, { ...inputs, random2: Buffer.from(r2.map((b) => b ^ 1)) });
        expect(openControl(otherSession, ADDRESS, block)).toBeNull();
        const mac = Buffer.from(block.mac);
        mac[3] = (mac[3] ?? 0) ^ 0x01;
        expect(openControl(s, ADDRESS, { ciphertext: block.ciphertext, mac })).toBeNull();
      }),
      { numRuns: 50 },
    );
  });

  it('opens a 98H parameter only for its own DI', () => {
    const s = sessionKey(meterKeys(testMasterKeys(1), dispersionFactorOf(ADDRESS)).parameter, inputs);
    const value = Buffer.from('00500000', 'hex');
    const block = protectParameter(s, 0x04001001, value);
    expect(openParameter(s, 0x04001001, block)).toEqual(value);
    expect(openParameter(s, 0x04001002, block)).toBeNull();
  });
});
