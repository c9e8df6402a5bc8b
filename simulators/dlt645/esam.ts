// The simulated meter's ESAM: identity authentication and its session, encrypted remote control,
// MAC-protected writes and the wallet's purchases, as a State Grid remote fee-control meter does
// (Q/GDW 1365-2013; the 2013 supplement to DL/T 645-2007, 安全认证 03H), with the reference
// key scheme and the public test keys (src/security/reference-scheme.ts, test-keys.ts).
//
//   03H 070000FF ─▶ ciphertext 1 = SM4(K(identity), R1 ‖ ¬R1)? ─no─▶ C3H SERR bit 3
//                          │yes: R2, session keys, expires after sessionMinutes
//                          ▼
//   1CH PA 98H ─▶ session live? ─no─▶ DCH bit 3 (identity authentication timed out)
//                     │yes
//                     ▼
//                MAC right? ─no─▶ DCH bit 1 (MAC error); 3 in a row close the session
//                     │yes
//                     ▼
//                N1..N8 → the meter's own checks (deadline, relay)
//
// The session runs on the physical clock (a countdown in real meters), not on the meter's
// settable clock. What the ESAM did is kept in `records` for tests to look at.

import { randomBytes } from 'node:crypto';
import {
  SecurityDI,
  decodeAuthenticationValidity,
  decodeIdentityAuthentication,
  decodePurchase,
  encodeIdentityAuthenticationReply,
  encodeSessionClosed,
  encodeWalletStatus,
  type DecodedProtectedWrite,
  type ProtectedBlock,
  type SecurityRefusal,
} from '../../protocols/dlt645/index.js';
import {
  dispersionFactorOf,
  figureMac,
  identityCiphertext,
  meterKeys,
  openControl,
  openParameter,
  parameterMac,
  purchaseMacs,
  sessionKey,
  type MeterKeys,
} from '../../src/security/reference-scheme.js';
import { testMasterKeys } from '../../src/security/test-keys.js';

export interface EsamOptions {
  /** Key version the ESAM holds (test keys). Default 1. */
  keyVersion?: number;
  /** 16 hex digits. Default: 86 00 then the meter address. */
  esamSerial?: string;
  /** Session validity, minutes (身份认证时效). Default 5. */
  sessionMinutes?: number;
  /** Customer number bound at account opening (12 digits); null: not opened. Default null. */
  customer?: string | null;
  /** Purchases so far (购电次数). Default 0. */
  purchaseCount?: number;
  /** Source of random number 2. Default crypto.randomBytes. */
  random?: (n: number) => Buffer;
}

/** The wallet the ESAM protects: the meter's remaining and overdraft amounts and hoarding limit. */
export interface EsamWallet {
  remainingFen: number;
  overdraftFen: number;
  readonly limits: { hoardingLimitFen: number };
}

export interface EsamRecord {
  /** Physical clock, ms. */
  at: number;
  op: 'authenticate' | 'control' | 'write' | 'purchase' | 'status' | 'close' | 'validity';
  outcome: 'ok' | SecurityRefusal | 'session-expired' | 'mac-error' | 'unauthorised';
}

interface Session {
  random1: Buffer;
  random2: Buffer;
  expiresAt: number;
  control: Buffer;
  parameter: Buffer;
  purchase: Buffer;
}

/** Consecutive MAC failures that close the session (the meter then wants a new authentication). */
export const MAC_FAILURES_CLOSING_SESSION = 3;
const TAG_REMAINING = 1;
const TAG_PURCHASE_COUNT = 2;

export class SimEsam {
  readonly keyVersion: number;
  readonly esamSerial: Buffer;
  sessionMinutes: number;
  customer: string | null;
  purchaseCount: number;
  readonly records: EsamRecord[] = [];
  private readonly keys: MeterKeys;
  private readonly dispersionFactor: Buffer;
  private readonly random: (n: number) => Buffer;
  private session: Session | null = null;
  private macFailures = 0;

  constructor(
    readonly address: string,
    options: EsamOptions,
    private readonly clock: () => number,
  ) {
    this.keyVersion = options.keyVersion ?? 1;
    this.esamSerial = Buffer.from(options.esamSerial ?? `8600${address}`, 'hex');
    if (this.esamSerial.length !== 8) throw new RangeError('ESAM serial must be 16 hex digits');
    this.sessionMinutes = options.sessionMinutes ?? 5;
    this.customer = options.customer ?? null;
    this.purchaseCount = options.purchaseCount ?? 0;
    this.random = options.random ?? randomBytes;
    this.dispersionFactor = dispersionFactorOf(address);
    this.keys = meterKeys(testMasterKeys(this.keyVersion), this.dispersionFactor);
  }

  private record(op: EsamRecord['op'], outcome: EsamRecord['outcome']): void {
    this.records.push({ at: this.clock(), op, outcome });
  }

  /** The live session, or null (none, or expired: an expired one is dropped). */
  private live(): Session | null {
    if (this.session && this.clock() >= this.session.expiresAt) this.session = null;
    return this.session;
  }

  get authenticated(): boolean {
    return this.live() !== null;
  }

  /** A MAC failure; the third in a row closes the session. */
  private macFailed(): void {
    this.macFailures++;
    if (this.macFailures >= MAC_FAILURES_CLOSING_SESSION) {
      this.session = null;
      this.macFailures = 0;
    }
  }

  /** 03H: the reply payload (after DI) or a refusal. */
  security(di: number, payload: Uint8Array, wallet: EsamWallet): { ok: true; payload: Buffer } | { ok: false; refusal: SecurityRefusal } {
    switch (di) {
      case SecurityDI.identityAuthentication:
        return this.authenticate(payload);
      case SecurityDI.authenticationValidity:
        return this.validity(payload);
      case SecurityDI.authenticationInvalidate:
        return this.close(wallet);
      case SecurityDI.accountOpening:
      case SecurityDI.topUp:
        return this.purchase(di, payload, wallet);
      case SecurityDI.statusQuery:
        return this.status(wallet);
      default:
        return { ok: false, refusal: 'other' };
    }
  }

  private authenticate(payload: Uint8Array): { ok: true; payload: Buffer } | { ok: false; refusal: SecurityRefusal } {
    const r = decodeIdentityAuthentication(payload);
    if (!Buffer.from(r.dispersionFactor).equals(this.dispersionFactor) || !identityCiphertext(this.keys.identity, r.random1).equals(Buffer.from(r.ciphertext))) {
      this.session = null;
      this.record('authenticate', 'identity-authentication');
      return { ok: false, refusal: 'identity-authentication' };
    }
    const random1 = Buffer.from(r.random1);
    const random2 = this.random(4);
    const inputs = { random1, random2, esamSerial: this.esamSerial };
    this.session = {
      random1,
      random2,
      expiresAt: this.clock() + this.sessionMinutes * 60_000,
      control: sessionKey(this.keys.control, inputs),
      parameter: sessionKey(this.keys.parameter, inputs),
      purchase: sessionKey(this.keys.purchase, inputs),
    };
    this.macFailures = 0;
    this.record('authenticate', 'ok');
    return { ok: true, payload: encodeIdentityAuthenticationReply({ random2, esamSerial: this.esamSerial }) };
  }

  private validity(payload: Uint8Array): { ok: true; payload: Buffer } | { ok: false; refusal: SecurityRefusal } {
    const s = this.live();
    if (!s) return this.refuse('validity', 'identity-authentication');
    const v = decodeAuthenticationValidity(payload);
    const bcd = Buffer.from(payload.subarray(0, 2)).reverse();
    if (!parameterMac(s.parameter, SecurityDI.authenticationValidity, bcd).equals(v.mac)) {
      this.macFailed();
      return this.refuse('validity', 'esam-verification');
    }
    this.sessionMinutes = v.minutes;
    this.record('validity', 'ok');
    return { ok: true, payload: Buffer.alloc(0) };
  }

  private close(wallet: EsamWallet): { ok: true; payload: Buffer } {
    this.session = null;
    this.record('close', 'ok');
    return { ok: true, payload: encodeSessionClosed({ customer: this.customer ?? '000000000000', remainingFen: wallet.remainingFen, purchaseCount: this.purchaseCount, keyInfo: this.keyInfo() }) };
  }

  private status(wallet: EsamWallet): { ok: true; payload: Buffer } | { ok: false; refusal: SecurityRefusal } {
    const s = this.live();
    if (!s) return this.refuse('status', 'identity-authentication');
    this.record('status', 'ok');
    return {
      ok: true,
      payload: encodeWalletStatus({
        remainingFen: wallet.remainingFen,
        remainingMac: figureMac(s.purchase, TAG_REMAINING, wallet.remainingFen),
        purchaseCount: this.purchaseCount,
        purchaseCountMac: figureMac(s.purchase, TAG_PURCHASE_COUNT, this.purchaseCount),
        customer: this.customer ?? '000000000000',
        keyInfo: this.keyInfo(),
      }),
    };
  }

  /** 密钥信息: four bytes, the key version in the last (ESAM order). */
  private keyInfo(): Buffer {
    return Buffer.from([0, 0, 0, this.keyVersion & 0xff]);
  }

  private refuse(op: EsamRecord['op'], refusal: SecurityRefusal): { ok: false; refusal: SecurityRefusal } {
    this.record(op, refusal);
    return { ok: false, refusal };
  }

  /**
   * 070101FF / 070102FF, checked in the order meters check: session, customer number, repeated
   * purchase, purchase count, MACs, hoarding limit. A purchase pays off the overdraft first.
   */
  private purchase(di: number, payload: Uint8Array, wallet: EsamWallet): { ok: true; payload: Buffer } | { ok: false; refusal: SecurityRefusal } {
    const s = this.live();
    if (!s) return this.refuse('purchase', 'identity-authentication');
    const p = decodePurchase(payload);
    const opening = di === SecurityDI.accountOpening;
    if (opening ? this.customer !== null && this.customer !== p.customer : this.customer !== p.customer) return this.refuse('purchase', 'customer-number');
    if (p.purchaseCount === this.purchaseCount) return this.refuse('purchase', 'repeated-top-up');
    if (p.purchaseCount !== this.purchaseCount + 1) return this.refuse('purchase', 'purchase-count');
    const macs = purchaseMacs(s.purchase, { di, amountFen: p.amountFen, purchaseCount: p.purchaseCount, customer: p.customer });
    if (!macs.mac1.equals(Buffer.from(p.mac1)) || !macs.mac2.equals(Buffer.from(p.mac2))) {
      this.macFailed();
      return this.refuse('purchase', 'esam-verification');
    }
    this.macFailures = 0;
    const repaid = Math.min(wallet.overdraftFen, p.amountFen);
    if (wallet.remainingFen + p.amountFen - repaid > wallet.limits.hoardingLimitFen) return this.refuse('purchase', 'hoarding-limit');
    wallet.overdraftFen -= repaid;
    wallet.remainingFen += p.amountFen - repaid;
    this.purchaseCount = p.purchaseCount;
    this.customer = p.customer;
    this.record('purchase', 'ok');
    return { ok: true, payload: Buffer.alloc(0) };
  }

  /** 1CH PA 98H: N1..N8, or why not. */
  openControl(block: ProtectedBlock): { ok: true; plaintext: Buffer } | { ok: false; refusal: 'session-expired' | 'mac-error' } {
    const s = this.live();
    if (!s) {
      this.record('control', 'session-expired');
      return { ok: false, refusal: 'session-expired' };
    }
    const plaintext = openControl(s.control, this.address, block);
    if (plaintext === null) {
      this.macFailed();
      this.record('control', 'mac-error');
      return { ok: false, refusal: 'mac-error' };
    }
    this.macFailures = 0;
    this.record('control', 'ok');
    return { ok: true, plaintext };
  }

  /** 14H PA 99H / 98H: the value as DL/T 645 encodes it, or why not. */
  openWrite(write: DecodedProtectedWrite): { ok: true; value: Buffer } | { ok: false; refusal: 'session-expired' | 'mac-error' } {
    const s = this.live();
    if (!s) {
      this.record('write', 'session-expired');
      return { ok: false, refusal: 'session-expired' };
    }
    let value: Buffer | null;
    if (write.pa === 0x99) {
      value = parameterMac(s.parameter, write.di, Buffer.from(write.data).reverse()).equals(write.mac) ? write.data : null;
    } else {
      const esamOrder = openParameter(s.parameter, write.di, { ciphertext: write.data, mac: write.mac });
      value = esamOrder === null ? null : Buffer.from(esamOrder).reverse();
    }
    if (value === null) {
      this.macFailed();
      this.record('write', 'mac-error');
      return { ok: false, refusal: 'mac-error' };
    }
    this.macFailures = 0;
    this.record('write', 'ok');
    return { ok: true, value };
  }
}
