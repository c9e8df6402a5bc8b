// ESAM-protected bodies of remote control (1CH, PA 98H) and write data (14H, PA 98H / 99H).
//
// Q/GDW 1365-2013 with the 2013 supplement to DL/T 645-2007 (password levels 98H and 99H):
//   98H  ciphertext + MAC: the data is encrypted and MAC-protected under the authenticated session;
//   99H  plaintext + MAC: the data travels in clear, protected by a MAC.
// Both need a valid identity authentication (03H, 070000FF) first.
//
//   1CH  PA=98 P0 P1 P2 | C0..C3 | 20 bytes = ciphertext (16) + MAC (4)     L = 28 (1CH)
//        the 16 bytes decrypt to N1..N8 of the plaintext command (control-strategy.ts), framed
//        and padded by the security module to the cipher's block
//   14H  DI0..DI3 | PA P0 P1 P2 | C0..C3 | data | MAC (4)
//        data = the value as DL/T 645 encodes it (99H), or its ciphertext (98H)
//
// Byte order as in security-payloads.ts: ciphertext and MAC are handed over in ESAM order (MSB
// first) and reversed on the wire. For 1CH the 20 bytes are reversed as one block, which puts
// the MAC's bytes first on the wire; for 14H data and MAC are reversed each on its own, and a
// 99H value stays as DL/T 645 encodes it.

import { Dlt645Error } from './errors.js';
import { encodeWriteRequest, decodeWriteRequest, type Credentials } from './commands-protected.js';
import { ESAM_PASSWORD_LEVEL } from './control-strategy.js';
import { reverseBytes } from './security.js';
import type { Dlt645Frame } from './frame.js';

/** Password level of plaintext + MAC writes. */
export const ESAM_PLAIN_MAC_LEVEL = 0x99;
export const ESAM_CONTROL_CIPHERTEXT_LENGTH = 16;
export const MAC_LENGTH = 4;
export const ESAM_CONTROL_BODY_LENGTH = ESAM_CONTROL_CIPHERTEXT_LENGTH + MAC_LENGTH;

/** What the security module returns for a protected command (ESAM order). */
export interface ProtectedBlock {
  ciphertext: Uint8Array;
  mac: Uint8Array;
}

function checkMac(mac: Uint8Array | undefined): void {
  if (!(mac instanceof Uint8Array) || mac.length !== MAC_LENGTH) {
    throw new Dlt645Error('VALUE_INVALID', `MAC must be ${MAC_LENGTH} bytes`, { length: mac?.length });
  }
}

/** The 20 bytes after the operator code of an encrypted 1CH. */
export function encodeEsamControlBody(block: ProtectedBlock): Buffer {
  if (!(block.ciphertext instanceof Uint8Array) || block.ciphertext.length !== ESAM_CONTROL_CIPHERTEXT_LENGTH) {
    throw new Dlt645Error('VALUE_INVALID', `control ciphertext must be ${ESAM_CONTROL_CIPHERTEXT_LENGTH} bytes`, { length: block.ciphertext?.length });
  }
  checkMac(block.mac);
  return reverseBytes(Buffer.concat([block.ciphertext, block.mac]));
}

export function decodeEsamControlBody(body: Uint8Array): ProtectedBlock {
  if (body.length !== ESAM_CONTROL_BODY_LENGTH) {
    throw new Dlt645Error('FRAME_UNEXPECTED', `encrypted control body of ${body.length} bytes, expected ${ESAM_CONTROL_BODY_LENGTH}`, { length: body.length });
  }
  const esamOrder = reverseBytes(body);
  return { ciphertext: esamOrder.subarray(0, ESAM_CONTROL_CIPHERTEXT_LENGTH), mac: esamOrder.subarray(ESAM_CONTROL_CIPHERTEXT_LENGTH) };
}

export type ProtectedWrite =
  /** 99H: the value as DL/T 645 encodes it, and a MAC. */
  | { level: typeof ESAM_PLAIN_MAC_LEVEL; value: Uint8Array; mac: Uint8Array }
  /** 98H: the value's ciphertext (ESAM order), and a MAC. */
  | { level: typeof ESAM_PASSWORD_LEVEL; ciphertext: Uint8Array; mac: Uint8Array };

export function encodeProtectedWriteRequest(
  address: string,
  di: number,
  write: ProtectedWrite,
  credentials: Omit<Credentials, 'level'> = {},
  options: { preamble?: number } = {},
): Buffer {
  checkMac(write.mac);
  let data: Buffer;
  if (write.level === ESAM_PLAIN_MAC_LEVEL) data = Buffer.from(write.value);
  else if (write.level === ESAM_PASSWORD_LEVEL) data = reverseBytes(write.ciphertext);
  else throw new Dlt645Error('VALUE_INVALID', `protected writes use PA 98H or 99H: ${String((write as { level: unknown }).level)}`, {});
  const body = Buffer.concat([data, reverseBytes(write.mac)]);
  return encodeWriteRequest(address, di, body, { ...credentials, level: write.level }, options);
}

export interface DecodedProtectedWrite {
  di: number;
  pa: number;
  operator: string;
  /** 99H: the value as encoded; 98H: the ciphertext in ESAM order. */
  data: Buffer;
  mac: Buffer;
}

/** Splits a 14H with PA 98H/99H into data and MAC; FRAME_UNEXPECTED for other levels. */
export function decodeProtectedWriteRequest(frame: Dlt645Frame): DecodedProtectedWrite {
  const w = decodeWriteRequest(frame);
  if (w.pa !== ESAM_PASSWORD_LEVEL && w.pa !== ESAM_PLAIN_MAC_LEVEL) {
    throw new Dlt645Error('FRAME_UNEXPECTED', `write with PA ${w.pa.toString(16)}H is not MAC-protected`, { pa: w.pa });
  }
  if (w.value.length < MAC_LENGTH + 1) {
    throw new Dlt645Error('FRAME_UNEXPECTED', 'protected write carries no data before its MAC', { length: w.value.length });
  }
  const split = w.value.length - MAC_LENGTH;
  const raw = w.value.subarray(0, split);
  return {
    di: w.di,
    pa: w.pa,
    operator: w.operator,
    data: w.pa === ESAM_PASSWORD_LEVEL ? reverseBytes(raw) : Buffer.from(raw),
    mac: reverseBytes(w.value.subarray(split)),
  };
}
