// Security authentication, function 03H (安全认证): the envelope, the abnormal reply and the
// security error word. The payloads of each data identifier are in security-payloads.ts.
//
// State Grid's 2013 supplement to DL/T 645-2007 (智能电能表 DL/T 645-2007 备案文件, 安全认证)
// and Q/GDW 1365-2013 (智能电能表信息交换安全认证技术规范, 远程费控):
//
//   head-end → meter   03H  DI0 DI1 DI2 DI3 | C0 C1 C2 C3 | payload      (operator code as in 1CH)
//   meter → head-end   83H  DI0 DI1 DI2 DI3 | payload                     (normal)
//                      C3H  SERR0 SERR1                                   (abnormal, error-word.ts)
//
// Like every DL/T 645 data field the bytes travel with 33H added (frame.ts) and every field
// least significant byte first. Session state (is a meter authenticated, until when) is not
// the codec's business: see src/security/ and the simulator's ESAM.

import { Dlt645Error } from './errors.js';
import { bytesToHexDigits, hexDigitsToBytes, readUIntLE, writeUIntLE } from './bcd.js';
import { FunctionCode, encodeFrame, expectDataLength, expectReply, expectRequest, makeControl, type Dlt645Frame } from './frame.js';
import { SecurityErrorBit, decodeSecurityErrorWord } from './error-word.js';
import { diToBytes } from './read.js';

/** Data identifiers of 03H (2013 supplement, Q/GDW 1365 remote fee control). */
export const SecurityDI = {
  /** 身份认证: identity authentication, opens the session. */
  identityAuthentication: 0x070000ff,
  /** 身份认证时效设置: how long a session stays valid (minutes). */
  authenticationValidity: 0x070001ff,
  /** 身份认证失效: closes the session; the meter answers with its wallet. */
  authenticationInvalidate: 0x070002ff,
  /** 开户: remote account opening (first purchase, binds the customer number). */
  accountOpening: 0x070101ff,
  /** 充值: remote top-up. */
  topUp: 0x070102ff,
  /** 状态查询: remaining money, purchase count, customer number, key information, with MACs. */
  statusQuery: 0x078102ff,
} as const;

export type SecurityDataIdentifier = (typeof SecurityDI)[keyof typeof SecurityDI];

export interface SecurityRequest {
  di: number;
  /** C3..C0 as 8 hex digits. */
  operator: string;
  payload: Uint8Array;
}

export function encodeSecurityRequest(
  address: string,
  request: { di: number; operator?: string; payload: Uint8Array },
  options: { preamble?: number } = {},
): Buffer {
  const data = Buffer.concat([diToBytes(request.di), hexDigitsToBytes(request.operator ?? '00000000', 4, 'operator'), Buffer.from(request.payload)]);
  return encodeFrame({ address, control: makeControl(FunctionCode.SecurityAuthentication), data }, options);
}

export function decodeSecurityRequest(frame: Dlt645Frame): SecurityRequest {
  expectRequest(frame, FunctionCode.SecurityAuthentication, 'security authentication');
  expectDataLength(frame, 8, 200, 'security authentication request');
  return { di: readUIntLE(frame.data, 0, 4), operator: bytesToHexDigits(frame.data.subarray(4, 8)), payload: frame.data.slice(8) };
}

/** Named refusals of a 03H exchange, from the SERR bits (most specific first). */
export type SecurityRefusal =
  | 'identity-authentication'
  | 'esam-verification'
  | 'repeated-top-up'
  | 'purchase-count'
  | 'customer-number'
  | 'hoarding-limit'
  | 'other';

const REFUSAL_BITS: readonly [SecurityRefusal, number][] = [
  ['identity-authentication', SecurityErrorBit.identityAuthenticationFailed],
  ['repeated-top-up', SecurityErrorBit.repeatedTopUp],
  ['purchase-count', SecurityErrorBit.purchaseCountError],
  ['customer-number', SecurityErrorBit.customerNumberMismatch],
  ['hoarding-limit', SecurityErrorBit.hoardingLimitExceeded],
  ['esam-verification', SecurityErrorBit.esamVerificationFailed],
];

export function securityRefusalOf(errorWord: number): SecurityRefusal {
  for (const [refusal, bit] of REFUSAL_BITS) if (errorWord & bit) return refusal;
  return 'other';
}

export const SECURITY_REFUSAL_WORD: Readonly<Record<SecurityRefusal, number>> = {
  'identity-authentication': SecurityErrorBit.identityAuthenticationFailed,
  'esam-verification': SecurityErrorBit.esamVerificationFailed,
  'repeated-top-up': SecurityErrorBit.repeatedTopUp,
  'purchase-count': SecurityErrorBit.purchaseCountError,
  'customer-number': SecurityErrorBit.customerNumberMismatch,
  'hoarding-limit': SecurityErrorBit.hoardingLimitExceeded,
  other: SecurityErrorBit.other,
};

export type SecurityOutcome =
  | { ok: true; di: number; payload: Uint8Array }
  | { ok: false; reason: SecurityRefusal; errorWord: number; flags: string[] };

/** Normal reply 83H: the DI of the request, then the payload. */
export function encodeSecurityResponse(address: string, di: number, payload: Uint8Array = new Uint8Array(0), options: { preamble?: number } = {}): Buffer {
  const data = Buffer.concat([diToBytes(di), Buffer.from(payload)]);
  return encodeFrame({ address, control: makeControl(FunctionCode.SecurityAuthentication, { fromMeter: true }), data }, { preamble: options.preamble ?? 0 });
}

/** Abnormal reply C3H with the two-byte SERR; a refusal name or a raw word. */
export function encodeSecurityRefusal(address: string, refusal: SecurityRefusal | number, options: { preamble?: number } = {}): Buffer {
  const word = typeof refusal === 'number' ? refusal : SECURITY_REFUSAL_WORD[refusal];
  if (word === undefined || !Number.isInteger(word) || word <= 0 || word > 0xffff) {
    throw new Dlt645Error('VALUE_INVALID', `security error word out of range: ${String(refusal)}`, { refusal });
  }
  const data = writeUIntLE(word, 2);
  return encodeFrame(
    { address, control: makeControl(FunctionCode.SecurityAuthentication, { fromMeter: true, abnormal: true }), data },
    { preamble: options.preamble ?? 0 },
  );
}

/**
 * Decode a reply to 03H. A one-byte error word (seen from meters that answer with the 2007
 * ERR) is read as SERR's low byte; an empty one as 'other'.
 */
export function decodeSecurityResponse(frame: Dlt645Frame): SecurityOutcome {
  const c = expectReply(frame, FunctionCode.SecurityAuthentication, 'security authentication');
  if (c.abnormal) {
    const length = Math.min(frame.data.length, 2);
    const errorWord = length === 0 ? 0 : readUIntLE(frame.data, 0, length);
    return { ok: false, reason: securityRefusalOf(errorWord), errorWord, flags: decodeSecurityErrorWord(errorWord) };
  }
  expectDataLength(frame, 4, 200, 'security authentication reply');
  return { ok: true, di: readUIntLE(frame.data, 0, 4), payload: frame.data.slice(4) };
}

/** Wire order (LSB first) ↔ ESAM order (MSB first) of a cryptographic string. */
export function reverseBytes(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes).reverse();
}
