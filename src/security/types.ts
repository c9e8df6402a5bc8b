// The security-module interface: what the driver asks of an encryption machine (密码机) or of
// the software reference module to talk to ESAM meters, and the module's coded errors.
//
//   driver ──identityAuthentication──▶ module      (random 1, ciphertext 1, dispersion factor)
//   driver ──03H 070000FF──▶ meter ──random 2, ESAM serial──▶ driver   (a SecuritySession)
//   driver ──encryptControl / purchaseMacs / parameterMac──▶ module ──▶ 1CH / 03H / 14H frames
//
// Byte strings are in ESAM order (most significant byte first), as the DL/T 645 codec hands
// them over (protocols/dlt645/security-payloads.ts). The keys never leave the module; the
// head-end only carries random numbers, ciphertexts and MACs. The domain never sees any of it.

export interface MeterKeyRef {
  /** 12-digit meter address. */
  address: string;
  /** The key version the meter's ESAM holds (0 = the factory's public keys). */
  keyVersion: number;
}

export interface IdentityChallenge {
  random1: Buffer; // 8
  ciphertext: Buffer; // 8
  dispersionFactor: Buffer; // 8
}

/** An authenticated session with one meter: what both sides derived their session keys from. */
export interface SecuritySession extends MeterKeyRef {
  random1: Buffer; // 8
  random2: Buffer; // 4
  esamSerial: Buffer; // 8
}

export interface ProtectedBytes {
  ciphertext: Buffer;
  mac: Buffer;
}

export interface PurchaseInput {
  /** 070101FF (account opening) or 070102FF (top-up). */
  di: number;
  amountFen: number;
  purchaseCount: number;
  customer: string;
}

export interface SecurityModule {
  /** 'software-reference' or 'encryption-machine'. */
  readonly kind: string;
  identityAuthentication(meter: MeterKeyRef): Promise<IdentityChallenge>;
  /** N1..N8 of a 1CH → ciphertext (16) and MAC (4). */
  encryptControl(session: SecuritySession, plaintext: Uint8Array): Promise<ProtectedBytes>;
  purchaseMacs(session: SecuritySession, purchase: PurchaseInput): Promise<{ mac1: Buffer; mac2: Buffer }>;
  /** 99H write: MAC over DI and the value (ESAM order). */
  parameterMac(session: SecuritySession, di: number, value: Uint8Array): Promise<Buffer>;
  /** 98H write: ciphertext and MAC of the value (ESAM order). */
  encryptParameter(session: SecuritySession, di: number, value: Uint8Array): Promise<ProtectedBytes>;
  /** Checks a MAC the meter put on a wallet figure (remaining amount tag 01H, purchase count 02H). */
  verifyFigureMac(session: SecuritySession, tag: number, value: number, mac: Uint8Array): Promise<boolean>;
  close(): Promise<void>;
}

export type SecurityModuleErrorCode =
  /** The module does not know this key version (or meter): a review, not a retry. */
  | 'SECURITY_KEY_UNKNOWN'
  /** No answer in time. */
  | 'SECURITY_TIMEOUT'
  /** Not connected, connection lost, or reconnecting too soon after a failure. */
  | 'SECURITY_UNAVAILABLE'
  /** The machine answered something this adapter cannot read. */
  | 'SECURITY_PROTOCOL'
  /** The machine refused the request for another reason it named. */
  | 'SECURITY_REFUSED'
  /** The software module in production without explicit consent. */
  | 'SECURITY_NOT_ALLOWED'
  | 'SECURITY_INVALID_INPUT';

export class SecurityModuleError extends Error {
  constructor(
    readonly code: SecurityModuleErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'SecurityModuleError';
  }
}

export function isSecurityModuleError(e: unknown): e is SecurityModuleError {
  return e instanceof SecurityModuleError;
}
