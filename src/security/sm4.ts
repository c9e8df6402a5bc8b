// SM4 (GB/T 32907-2016) through Node's OpenSSL, and the MAC built on it.
//
// Node 20 ships OpenSSL 3 with 'sm4-ecb' and 'sm4-cbc' (test/security/sm4.test.ts checks the
// standard's example, GB/T 32907-2016 Appendix A.1, and refuses to start without SM4).
// MAC: GB/T 15852.1-2008 (ISO/IEC 9797-1) MAC algorithm 1 — CBC over the data padded with
// method 2 (80H then 00H to a whole block), the MAC being the leftmost 4 bytes of the last
// block, as ESAMs compute their 4-byte MACs.

import { createCipheriv, createDecipheriv, getCiphers } from 'node:crypto';

export const BLOCK = 16;

export function sm4Available(): boolean {
  const ciphers = getCiphers();
  return ciphers.includes('sm4-ecb') && ciphers.includes('sm4-cbc');
}

function checkKey(key: Uint8Array): void {
  if (key.length !== BLOCK) throw new RangeError(`SM4 key must be ${BLOCK} bytes, got ${key.length}`);
}

/** SM4-ECB over whole blocks, no padding. */
export function sm4EncryptBlocks(key: Uint8Array, data: Uint8Array): Buffer {
  checkKey(key);
  if (data.length % BLOCK !== 0) throw new RangeError(`SM4 data must be whole ${BLOCK}-byte blocks, got ${data.length}`);
  const c = createCipheriv('sm4-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

export function sm4DecryptBlocks(key: Uint8Array, data: Uint8Array): Buffer {
  checkKey(key);
  if (data.length % BLOCK !== 0) throw new RangeError(`SM4 data must be whole ${BLOCK}-byte blocks, got ${data.length}`);
  const d = createDecipheriv('sm4-ecb', key, null);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
}

/** Padding method 2: 80H, then 00H up to a whole block (always adds at least one byte). */
export function pad80(data: Uint8Array): Buffer {
  const length = (Math.floor(data.length / BLOCK) + 1) * BLOCK;
  const out = Buffer.alloc(length);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** Removes method-2 padding; null when the padding is not well formed. */
export function unpad80(data: Uint8Array): Buffer | null {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0x00) i--;
  if (i < 0 || data[i] !== 0x80 || data.length - i > BLOCK) return null;
  return Buffer.from(data.subarray(0, i));
}

/** 4-byte CBC-MAC (IV zero) over pad80(data). */
export function sm4Mac(key: Uint8Array, data: Uint8Array): Buffer {
  checkKey(key);
  const c = createCipheriv('sm4-cbc', key, Buffer.alloc(BLOCK));
  c.setAutoPadding(false);
  const out = Buffer.concat([c.update(pad80(data)), c.final()]);
  return out.subarray(out.length - BLOCK, out.length - BLOCK + 4);
}
