// Byte-level helpers shared by every DL/T 645 codec: packed BCD, signed BCD, the +0x33 data
// offset, little-endian identifiers and the 12-digit meter address.
//
// DL/T 645-2007 §5.2.5 (数据域): every data byte travels +33H and is taken back −33H.
// DL/T 645-2007 §5.3.2 (传输次序): multi-byte items travel least significant byte first.

import { Dlt645Error } from './errors.js';

/** Add 0x33 to every byte (sender side of §5.2.5). */
export function addOffset33(data: Uint8Array): Buffer {
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) out[i] = ((data[i] ?? 0) + 0x33) & 0xff;
  return out;
}

/** Subtract 0x33 from every byte (receiver side of §5.2.5). */
export function removeOffset33(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = ((data[i] ?? 0) - 0x33) & 0xff;
  return out;
}

export function isBcdByte(b: number): boolean {
  return (b & 0x0f) <= 9 && b >> 4 <= 9;
}

/** Packed BCD, LSB first, to an unsigned integer. Throws VALUE_INVALID on a non-decimal nibble. */
export function bcdToNumber(bytes: Uint8Array, what = 'BCD value'): number {
  let value = 0;
  for (let i = bytes.length - 1; i >= 0; i--) {
    const b = bytes[i] ?? 0;
    if (!isBcdByte(b)) {
      throw new Dlt645Error('VALUE_INVALID', `${what} is not BCD`, { bytes: Buffer.from(bytes).toString('hex') });
    }
    value = value * 100 + (b >> 4) * 10 + (b & 0x0f);
  }
  return value;
}

/** Unsigned integer to packed BCD of `length` bytes, LSB first. Throws VALUE_INVALID when it does not fit. */
export function numberToBcd(value: number, length: number, what = 'value'): Buffer {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 100 ** length) {
    throw new Dlt645Error('VALUE_INVALID', `${what} ${value} does not fit ${length} BCD byte(s)`, { value, length });
  }
  const out = Buffer.alloc(length);
  let rest = value;
  for (let i = 0; i < length; i++) {
    const two = rest % 100;
    out[i] = ((Math.floor(two / 10) << 4) | two % 10) & 0xff;
    rest = Math.floor(rest / 100);
  }
  return out;
}

/**
 * Signed BCD (Appendix A formats marked with a sign): the most significant bit of the most
 * significant byte is the sign (1 = negative), the remaining bits are the BCD magnitude.
 */
export function signedBcdToNumber(bytes: Uint8Array, what = 'signed BCD value'): number {
  if (bytes.length === 0) return 0;
  const copy = Uint8Array.from(bytes);
  const top = copy.length - 1;
  const negative = ((copy[top] ?? 0) & 0x80) !== 0;
  copy[top] = (copy[top] ?? 0) & 0x7f;
  const magnitude = bcdToNumber(copy, what);
  return negative && magnitude !== 0 ? -magnitude : magnitude;
}

export function numberToSignedBcd(value: number, length: number, what = 'value'): Buffer {
  const magnitude = Math.abs(value);
  if (!Number.isSafeInteger(value) || magnitude >= 8 * 100 ** (length - 1) * 10) {
    throw new Dlt645Error('VALUE_INVALID', `${what} ${value} does not fit ${length} signed BCD byte(s)`, {
      value,
      length,
    });
  }
  const out = numberToBcd(magnitude, length, what);
  if (value < 0) out[length - 1] = (out[length - 1] ?? 0) | 0x80;
  return out;
}

/** Little-endian unsigned integer of 1..4 bytes (data identifiers, binary words). */
export function readUIntLE(bytes: Uint8Array, offset: number, length: number): number {
  let v = 0;
  for (let i = length - 1; i >= 0; i--) v = v * 256 + (bytes[offset + i] ?? 0);
  return v;
}

export function writeUIntLE(value: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let rest = value;
  for (let i = 0; i < length; i++) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

const ADDRESS_RE = /^[0-9A]{12}$/;

/**
 * DL/T 645-2007 §5.2.2 (地址域): 6 bytes of 2 BCD digits, LSB first; AAH is the wildcard for
 * short addressing, 999999999999 the broadcast address. We print the address most significant
 * digit first, as on the meter's nameplate.
 */
export function addressToBytes(address: string): Buffer {
  const upper = typeof address === 'string' ? address.toUpperCase() : '';
  if (!ADDRESS_RE.test(upper)) {
    throw new Dlt645Error('FRAME_BAD_ADDRESS', `meter address must be 12 digits (or A wildcards): ${String(address)}`, {
      address,
    });
  }
  const out = Buffer.alloc(6);
  for (let i = 0; i < 6; i++) {
    const pair = upper.slice(10 - 2 * i, 12 - 2 * i);
    out[i] = parseInt(pair, 16);
  }
  return out;
}

export function bytesToAddress(bytes: Uint8Array): string {
  let s = '';
  for (let i = 5; i >= 0; i--) {
    const b = bytes[i] ?? 0;
    const hi = b >> 4;
    const lo = b & 0x0f;
    if ((hi > 9 && hi !== 0xa) || (lo > 9 && lo !== 0xa)) {
      throw new Dlt645Error('FRAME_BAD_ADDRESS', 'address field is not BCD', {
        address: Buffer.from(bytes.subarray(0, 6)).toString('hex'),
      });
    }
    s += b.toString(16).padStart(2, '0').toUpperCase();
  }
  return s;
}

/** Hex digits string (MSB first) ↔ LSB-first bytes, for passwords and operator codes. */
export function hexDigitsToBytes(digits: string, length: number, what: string): Buffer {
  if (typeof digits !== 'string' || !new RegExp(`^[0-9A-Fa-f]{${length * 2}}$`).test(digits)) {
    throw new Dlt645Error('VALUE_INVALID', `${what} must be ${length * 2} hex digits`, { [what]: digits });
  }
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(digits.slice(digits.length - 2 * (i + 1), digits.length - 2 * i), 16);
  return out;
}

export function bytesToHexDigits(bytes: Uint8Array): string {
  return Buffer.from(bytes).reverse().toString('hex').toUpperCase();
}
