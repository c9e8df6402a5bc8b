// The reference key scheme: how keys are diversified per meter, how a session key follows
// from identity authentication, and how control blocks, purchases and parameters are
// encrypted and MAC-protected. Pure functions over SM4 (sm4.ts), used by the software
// security module (head-end side) and by the simulator's ESAM (meter side).
//
// It has the shape of Q/GDW 1365-2013's remote fee control — master keys per purpose and key
// version, diversified by a dispersion factor from the meter address, an identity
// authentication with random number 1 / ciphertext 1 answered by random number 2 and the ESAM
// serial, data encrypted and MAC-protected under the session — but not its exact algorithms:
// those run inside ESAMs and encryption machines and are not public. Meters in the field
// need the utility's encryption machine (encryption-machine.ts). docs/security-module.md.
//
//   K(p, meter)   = SM4(M(p, version), D ‖ ¬D)              D = 00 00 ‖ address (dispersion factor)
//   ciphertext 1  = SM4(K(identity), R1 ‖ ¬R1)[0..8]        R1 = random number 1 (8 bytes)
//   S(p, session) = SM4(K(p), R1 ‖ R2 ‖ serial[4..8])        R2 = random number 2 (4), ESAM serial (8)
//   control       = SM4(S(control), 08 ‖ N1..N8 ‖ 80 00..)  MAC(S(control), 1C ‖ address ‖ ciphertext)
//   purchase      = MAC1(S(purchase), DI ‖ amount ‖ count)   MAC2(S(purchase), DI ‖ customer)
//   parameter 99H = MAC(S(parameter), DI ‖ value)           98H: SM4-ECB(S, pad80(len ‖ value)) + MAC(DI ‖ ciphertext)
// All byte strings in ESAM order (most significant byte first).

import { BLOCK, pad80, sm4DecryptBlocks, sm4EncryptBlocks, sm4Mac, unpad80 } from './sm4.js';

export type KeyPurpose = 'identity' | 'control' | 'parameter' | 'purchase';
export const KEY_PURPOSES: readonly KeyPurpose[] = ['identity', 'control', 'parameter', 'purchase'];

/** The meter-side keys an ESAM holds (already diversified), one per purpose. */
export type MeterKeys = Readonly<Record<KeyPurpose, Buffer>>;

export interface SessionInputs {
  random1: Uint8Array; // 8
  random2: Uint8Array; // 4
  esamSerial: Uint8Array; // 8
}

const not = (b: Uint8Array): Buffer => Buffer.from(b.map((x) => ~x & 0xff));

function length(bytes: Uint8Array, n: number, what: string): void {
  if (bytes.length !== n) throw new RangeError(`${what} must be ${n} bytes, got ${bytes.length}`);
}

/** Dispersion factor (分散因子) of a meter: 00 00 then the 12-digit address as 6 BCD bytes. */
export function dispersionFactorOf(address: string): Buffer {
  if (!/^\d{12}$/.test(address)) throw new RangeError(`meter address must be 12 digits: ${address}`);
  return Buffer.concat([Buffer.alloc(2), Buffer.from(address, 'hex')]);
}

export function diversify(master: Uint8Array, dispersionFactor: Uint8Array): Buffer {
  length(dispersionFactor, 8, 'dispersion factor');
  return sm4EncryptBlocks(master, Buffer.concat([dispersionFactor, not(dispersionFactor)]));
}

export function meterKeys(masters: Readonly<Record<KeyPurpose, Uint8Array>>, dispersionFactor: Uint8Array): MeterKeys {
  const out = {} as Record<KeyPurpose, Buffer>;
  for (const p of KEY_PURPOSES) out[p] = diversify(masters[p], dispersionFactor);
  return out;
}

export function identityCiphertext(identityKey: Uint8Array, random1: Uint8Array): Buffer {
  length(random1, 8, 'random number 1');
  return sm4EncryptBlocks(identityKey, Buffer.concat([random1, not(random1)])).subarray(0, 8);
}

export function sessionKey(meterKey: Uint8Array, s: SessionInputs): Buffer {
  length(s.random1, 8, 'random number 1');
  length(s.random2, 4, 'random number 2');
  length(s.esamSerial, 8, 'ESAM serial');
  return sm4EncryptBlocks(meterKey, Buffer.concat([s.random1, s.random2, s.esamSerial.subarray(4, 8)]));
}

const CONTROL_TAG = 0x1c;

function controlMacInput(address: string, ciphertext: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([CONTROL_TAG]), Buffer.from(address, 'hex'), ciphertext]);
}

/** N1..N8 (8 bytes) → ciphertext (16) and MAC (4). */
export function protectControl(session: Uint8Array, address: string, plaintext: Uint8Array): { ciphertext: Buffer; mac: Buffer } {
  length(plaintext, 8, 'control block N1..N8');
  const ciphertext = sm4EncryptBlocks(session, pad80(Buffer.concat([Buffer.from([plaintext.length]), plaintext])).subarray(0, BLOCK));
  return { ciphertext, mac: sm4Mac(session, controlMacInput(address, ciphertext)) };
}

/** The meter's side: N1..N8, or null for a wrong MAC or a block that does not decrypt well. */
export function openControl(session: Uint8Array, address: string, block: { ciphertext: Uint8Array; mac: Uint8Array }): Buffer | null {
  if (block.ciphertext.length !== BLOCK || !sm4Mac(session, controlMacInput(address, block.ciphertext)).equals(Buffer.from(block.mac))) return null;
  const plain = unpad80(sm4DecryptBlocks(session, block.ciphertext));
  if (plain === null || plain.length !== 9 || plain[0] !== 8) return null;
  return plain.subarray(1);
}

const be32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

export interface Purchase {
  /** 070101FF (account opening) or 070102FF (top-up). */
  di: number;
  amountFen: number;
  purchaseCount: number;
  /** 12 digits. */
  customer: string;
}

export function purchaseMacs(session: Uint8Array, p: Purchase): { mac1: Buffer; mac2: Buffer } {
  return {
    mac1: sm4Mac(session, Buffer.concat([be32(p.di), be32(p.amountFen), be32(p.purchaseCount)])),
    mac2: sm4Mac(session, Buffer.concat([be32(p.di), Buffer.from(p.customer, 'hex')])),
  };
}

/** MAC over a 4-byte word with a tag: a wallet figure the meter reports (remaining, count). */
export function figureMac(session: Uint8Array, tag: number, value: number): Buffer {
  return sm4Mac(session, Buffer.concat([Buffer.from([tag & 0xff]), be32(value)]));
}

/** 99H: MAC over DI and the value (ESAM order). */
export function parameterMac(session: Uint8Array, di: number, value: Uint8Array): Buffer {
  return sm4Mac(session, Buffer.concat([be32(di), value]));
}

/** 98H: ciphertext of the value (ESAM order) and a MAC over DI and ciphertext. */
export function protectParameter(session: Uint8Array, di: number, value: Uint8Array): { ciphertext: Buffer; mac: Buffer } {
  if (value.length > 0xff) throw new RangeError('parameter value too long');
  const ciphertext = sm4EncryptBlocks(session, pad80(Buffer.concat([Buffer.from([value.length]), value])));
  return { ciphertext, mac: sm4Mac(session, Buffer.concat([be32(di), ciphertext])) };
}

export function openParameter(session: Uint8Array, di: number, block: { ciphertext: Uint8Array; mac: Uint8Array }): Buffer | null {
  if (block.ciphertext.length === 0 || block.ciphertext.length % BLOCK !== 0) return null;
  if (!sm4Mac(session, Buffer.concat([be32(di), block.ciphertext])).equals(Buffer.from(block.mac))) return null;
  const plain = unpad80(sm4DecryptBlocks(session, block.ciphertext));
  if (plain === null || plain.length < 1 || plain[0] !== plain.length - 1) return null;
  return plain.subarray(1);
}
