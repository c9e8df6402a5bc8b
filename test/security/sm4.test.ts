// SM4 through Node's OpenSSL against GB/T 32907-2016's examples, and the padding and MAC
// built on it (GB/T 15852.1 MAC algorithm 1, padding method 2).
import { describe, expect, it } from 'vitest';
import { createCipheriv } from 'node:crypto';
import { pad80, sm4Available, sm4DecryptBlocks, sm4EncryptBlocks, sm4Mac, unpad80 } from '../../src/security/sm4.js';

const KEY = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');

describe('SM4', () => {
  it('is available in this Node', () => {
    expect(sm4Available()).toBe(true);
  });

  it('encrypts GB/T 32907-2016 Appendix A example 1 and decrypts it back', () => {
    const c = sm4EncryptBlocks(KEY, KEY);
    expect(c.toString('hex')).toBe('681edf34d206965e86b3e94f536e4246');
    expect(sm4DecryptBlocks(KEY, c).equals(KEY)).toBe(true);
  });

  it('gives Appendix A example 2 after 1 000 000 encryptions', () => {
    const cipher = createCipheriv('sm4-ecb', KEY, null);
    cipher.setAutoPadding(false);
    let block = Buffer.from(KEY);
    for (let i = 0; i < 1_000_000; i++) block = cipher.update(block);
    expect(block.toString('hex')).toBe('595298c7c6fd271f0402f804c33d3f66');
  });

  it('refuses keys and data of the wrong size', () => {
    expect(() => sm4EncryptBlocks(KEY.subarray(0, 15), KEY)).toThrow(RangeError);
    expect(() => sm4EncryptBlocks(KEY, KEY.subarray(0, 15))).toThrow(RangeError);
  });
});

describe('padding method 2 and the MAC', () => {
  it.each([0, 1, 15, 16, 17])('pads %i bytes to whole blocks and back', (n) => {
    const data = Buffer.alloc(n, 0x00);
    const padded = pad80(data);
    expect(padded.length % 16).toBe(0);
    expect(padded.length).toBeGreaterThan(n);
    expect(padded[n]).toBe(0x80);
    expect(unpad80(padded)?.equals(data)).toBe(true);
  });

  it('rejects padding that is not 80 00…', () => {
    expect(unpad80(Buffer.alloc(16))).toBeNull();
    expect(unpad80(Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex'))).toBeNull();
  });

  it('gives a 4-byte MAC that follows every bit of key and data', () => {
    const data = Buffer.from('1c000000000161', 'hex');
    const mac = sm4Mac(KEY, data);
    expect(mac.length).toBe(4);
    const flipped = Buffer.from(data);
    flipped[6] = (flipped[6] ?? 0) ^ 0x01;
    expect(sm4Mac(KEY, flipped).equals(mac)).toBe(false);
    const otherKey = Buffer.from(KEY);
    otherKey[0] = (otherKey[0] ?? 0) ^ 0x80;
    expect(sm4Mac(otherKey, data).equals(mac)).toBe(false);
    // CBC-MAC over a single padded block is the block's encryption (IV zero)
    expect(mac.equals(sm4EncryptBlocks(KEY, pad80(data)).subarray(0, 4))).toBe(true);
  });
});
