// Payloads of security authentication (03H), one codec per data identifier.
//
// 2013 supplement to DL/T 645-2007 (备案文件, 安全认证) and Q/GDW 1365-2013 (远程费控), lengths
// in bytes, after DI (4) and, in requests, the operator code (4):
//
//   DI        request payload                                   reply payload (after DI)
//   070000FF  ciphertext 1 (8) · random 1 (8) · dispersion (8)  random 2 (4) · ESAM serial (8)
//   070001FF  validity, minutes (2, BCD) · MAC (4)              —
//   070002FF  —                                                 customer (6) · remaining (4) ·
//                                                               purchase count (4) · key info (4)
//   070101FF  amount (4) · purchase count (4) · MAC 1 (4) ·     —
//   070102FF    customer (6) · MAC 2 (4)                        —
//   078102FF  —                                                 remaining (4) · MAC (4) ·
//                                                               purchase count (4) · MAC (4) ·
//                                                               customer (6) · key info (4)
//
// Byte order: every field travels least significant byte first. The ESAM and the encryption
// machine work most significant byte first, so the cryptographic strings (ciphertext, random
// numbers, dispersion factor, ESAM serial, MACs, key information) are given here in ESAM order
// and reversed on the wire; a security module never sees the wire order. Amounts are unsigned
// binary fen and purchase counts unsigned binary, as the ESAM wallet keeps them; the customer
// number (客户编号) is 12 BCD digits.

import { Dlt645Error } from './errors.js';
import { bcdToNumber, numberToBcd, readUIntLE, writeUIntLE } from './bcd.js';
import { reverseBytes } from './security.js';

function field(bytes: Uint8Array | undefined, length: number, what: string): Buffer {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new Dlt645Error('VALUE_INVALID', `${what} must be ${length} bytes`, { what, length: bytes?.length });
  }
  return reverseBytes(bytes);
}

function expectPayload(payload: Uint8Array, length: number, what: string): void {
  if (payload.length !== length) {
    throw new Dlt645Error('FRAME_UNEXPECTED', `${what}: payload of ${payload.length} bytes, expected ${length}`, { length: payload.length, expected: length });
  }
}

function uint32(value: number, what: string): Buffer {
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Dlt645Error('VALUE_INVALID', `${what} must be an integer in 0..4294967295: ${value}`, { what, value });
  }
  return writeUIntLE(value, 4);
}

const CUSTOMER_RE = /^\d{12}$/;

function customerBytes(customer: string): Buffer {
  if (typeof customer !== 'string' || !CUSTOMER_RE.test(customer)) {
    throw new Dlt645Error('VALUE_INVALID', 'customer number must be 12 decimal digits', { customer });
  }
  return Buffer.from(customer.match(/../g)!.reverse().map((pair) => parseInt(pair, 16)));
}

function customerOf(bytes: Uint8Array): string {
  // Same layout as an address (6 BCD bytes, LSB first), but only decimal digits.
  const digits = Buffer.from(bytes).reverse().toString('hex');
  if (!CUSTOMER_RE.test(digits)) throw new Dlt645Error('VALUE_INVALID', 'customer number is not 12 BCD digits', { customer: digits });
  return digits;
}

const slice = (p: Uint8Array, at: number, n: number): Buffer => reverseBytes(p.subarray(at, at + n));

/** 070000FF request: what the encryption machine produced for this meter. */
export interface IdentityAuthenticationRequest {
  ciphertext: Uint8Array; // 密文1, 8
  random1: Uint8Array; // 随机数1, 8
  dispersionFactor: Uint8Array; // 分散因子, 8
}

export function encodeIdentityAuthentication(r: IdentityAuthenticationRequest): Buffer {
  return Buffer.concat([field(r.ciphertext, 8, 'ciphertext 1'), field(r.random1, 8, 'random number 1'), field(r.dispersionFactor, 8, 'dispersion factor')]);
}

export function decodeIdentityAuthentication(payload: Uint8Array): IdentityAuthenticationRequest {
  expectPayload(payload, 24, 'identity authentication');
  return { ciphertext: slice(payload, 0, 8), random1: slice(payload, 8, 8), dispersionFactor: slice(payload, 16, 8) };
}

/** 070000FF reply: the ESAM's challenge and serial, which key the session. */
export interface IdentityAuthenticationReply {
  random2: Uint8Array; // 随机数2, 4
  esamSerial: Uint8Array; // ESAM序列号, 8
}

export function encodeIdentityAuthenticationReply(r: IdentityAuthenticationReply): Buffer {
  return Buffer.concat([field(r.random2, 4, 'random number 2'), field(r.esamSerial, 8, 'ESAM serial')]);
}

export function decodeIdentityAuthenticationReply(payload: Uint8Array): IdentityAuthenticationReply {
  expectPayload(payload, 12, 'identity authentication reply');
  return { random2: slice(payload, 0, 4), esamSerial: slice(payload, 4, 8) };
}

/** 070001FF request: session validity in minutes (BCD, 1..9999) with a MAC. */
export function encodeAuthenticationValidity(r: { minutes: number; mac: Uint8Array }): Buffer {
  if (!Number.isInteger(r.minutes) || r.minutes < 1 || r.minutes > 9999) {
    throw new Dlt645Error('VALUE_INVALID', `authentication validity must be 1..9999 minutes: ${r.minutes}`, { minutes: r.minutes });
  }
  return Buffer.concat([numberToBcd(r.minutes, 2, 'validity'), field(r.mac, 4, 'MAC')]);
}

export function decodeAuthenticationValidity(payload: Uint8Array): { minutes: number; mac: Buffer } {
  expectPayload(payload, 6, 'authentication validity');
  return { minutes: bcdToNumber(payload.subarray(0, 2), 'validity'), mac: slice(payload, 2, 4) };
}

/** 070101FF / 070102FF request: a purchase, protected by two MACs. */
export interface PurchaseRequest {
  amountFen: number;
  /** The meter's purchase count after this purchase: exactly one more than its current one. */
  purchaseCount: number;
  /** MAC over amount and purchase count (ESAM order). */
  mac1: Uint8Array;
  customer: string;
  /** MAC over the customer number (ESAM order). */
  mac2: Uint8Array;
}

export function encodePurchase(r: PurchaseRequest): Buffer {
  return Buffer.concat([uint32(r.amountFen, 'amount'), uint32(r.purchaseCount, 'purchase count'), field(r.mac1, 4, 'MAC 1'), customerBytes(r.customer), field(r.mac2, 4, 'MAC 2')]);
}

export function decodePurchase(payload: Uint8Array): PurchaseRequest {
  expectPayload(payload, 22, 'purchase');
  return {
    amountFen: readUIntLE(payload, 0, 4),
    purchaseCount: readUIntLE(payload, 4, 4),
    mac1: slice(payload, 8, 4),
    customer: customerOf(payload.subarray(12, 18)),
    mac2: slice(payload, 18, 4),
  };
}

/** 078102FF reply: the meter's wallet, each money figure with the ESAM's MAC. */
export interface WalletStatus {
  remainingFen: number;
  remainingMac: Uint8Array;
  purchaseCount: number;
  purchaseCountMac: Uint8Array;
  customer: string;
  /** 密钥信息: which keys the ESAM holds (key version, public/private state), ESAM order. */
  keyInfo: Uint8Array;
}

export function encodeWalletStatus(s: WalletStatus): Buffer {
  return Buffer.concat([
    uint32(s.remainingFen, 'remaining amount'),
    field(s.remainingMac, 4, 'MAC'),
    uint32(s.purchaseCount, 'purchase count'),
    field(s.purchaseCountMac, 4, 'MAC'),
    customerBytes(s.customer),
    field(s.keyInfo, 4, 'key information'),
  ]);
}

export function decodeWalletStatus(payload: Uint8Array): WalletStatus {
  expectPayload(payload, 26, 'status query reply');
  return {
    remainingFen: readUIntLE(payload, 0, 4),
    remainingMac: slice(payload, 4, 4),
    purchaseCount: readUIntLE(payload, 8, 4),
    purchaseCountMac: slice(payload, 12, 4),
    customer: customerOf(payload.subarray(16, 22)),
    keyInfo: slice(payload, 22, 4),
  };
}

/** 070002FF reply: the wallet as the session closes (no MACs). */
export interface SessionClosed {
  customer: string;
  remainingFen: number;
  purchaseCount: number;
  keyInfo: Uint8Array;
}

export function encodeSessionClosed(s: SessionClosed): Buffer {
  return Buffer.concat([customerBytes(s.customer), uint32(s.remainingFen, 'remaining amount'), uint32(s.purchaseCount, 'purchase count'), field(s.keyInfo, 4, 'key information')]);
}

export function decodeSessionClosed(payload: Uint8Array): SessionClosed {
  expectPayload(payload, 18, 'authentication invalidation reply');
  return {
    customer: customerOf(payload.subarray(0, 6)),
    remainingFen: readUIntLE(payload, 6, 4),
    purchaseCount: readUIntLE(payload, 10, 4),
    keyInfo: slice(payload, 14, 4),
  };
}
