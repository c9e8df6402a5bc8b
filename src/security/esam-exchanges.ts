// Frames of the ESAM exchanges, built from what the security module computes: identity
// authentication (03H 070000FF) and the session it opens, encrypted remote control (1CH PA 98H),
// purchases (03H 070101FF / 070102FF), MAC-protected limit writes (14H PA 99H / 98H) and the
// wallet status (03H 078102FF). No I/O of its own beyond the module: the caller puts the frames on
// the bus and hands the replies back.
//
//   authenticationRequest ─▶ bus ─▶ sessionFrom(reply) ─▶ SecuritySession
//   controlRequest(session) / purchaseRequest(session) / writeRequest(session) ─▶ bus ─▶ codec decoders

import {
  EsamControlStrategy,
  ESAM_PASSWORD_LEVEL,
  ESAM_PLAIN_MAC_LEVEL,
  SecurityDI,
  decodeIdentityAuthenticationReply,
  decodeSecurityResponse,
  decodeWalletStatus,
  encodeAuthenticationValidity,
  encodeControlRequest,
  encodeEsamControlBody,
  encodeIdentityAuthentication,
  encodeProtectedWriteRequest,
  encodePurchase,
  encodeSecurityRequest,
  plaintextControlBlock,
  type ControlCommand,
  type Dlt645Frame,
  type SecurityRefusal,
  type WalletStatus,
} from '../../protocols/dlt645/index.js';
import type { IdentityChallenge, MeterKeyRef, SecurityModule, SecuritySession } from './types.js';

export type SessionResult =
  | { ok: true; session: SecuritySession }
  | { ok: false; reason: SecurityRefusal; errorWord: number; flags: string[] };

export const WALLET_TAG = { remaining: 1, purchaseCount: 2 } as const;

export class EsamExchanges {
  constructor(
    private readonly module: SecurityModule,
    private readonly operator = '00000000',
  ) {}

  async authenticationRequest(meter: MeterKeyRef): Promise<{ frame: Buffer; challenge: IdentityChallenge }> {
    const challenge = await this.module.identityAuthentication(meter);
    const payload = encodeIdentityAuthentication(challenge);
    return { challenge, frame: encodeSecurityRequest(meter.address, { di: SecurityDI.identityAuthentication, operator: this.operator, payload }) };
  }

  /** The session from the meter's reply to 070000FF, or its refusal (SERR). */
  sessionFrom(meter: MeterKeyRef, challenge: IdentityChallenge, reply: Dlt645Frame): SessionResult {
    const outcome = decodeSecurityResponse(reply);
    if (!outcome.ok) return outcome;
    const r = decodeIdentityAuthenticationReply(outcome.payload);
    return { ok: true, session: { address: meter.address, keyVersion: meter.keyVersion, random1: challenge.random1, random2: Buffer.from(r.random2), esamSerial: Buffer.from(r.esamSerial) } };
  }

  async controlRequest(session: SecuritySession, command: ControlCommand): Promise<Buffer> {
    const block = await this.module.encryptControl(session, plaintextControlBlock(command));
    const body = encodeEsamControlBody(block);
    return encodeControlRequest(session.address, { operator: this.operator, ...command }, new EsamControlStrategy({ encryptControlBlock: () => body }));
  }

  /** 070102FF (top-up) or 070101FF (account opening); `purchaseCount` is the meter's count after it. */
  async purchaseRequest(session: SecuritySession, p: { amountFen: number; purchaseCount: number; customer: string; opening?: boolean }): Promise<Buffer> {
    const di = p.opening ? SecurityDI.accountOpening : SecurityDI.topUp;
    const { mac1, mac2 } = await this.module.purchaseMacs(session, { di, amountFen: p.amountFen, purchaseCount: p.purchaseCount, customer: p.customer });
    const payload = encodePurchase({ amountFen: p.amountFen, purchaseCount: p.purchaseCount, mac1, customer: p.customer, mac2 });
    return encodeSecurityRequest(session.address, { di, operator: this.operator, payload });
  }

  /** 14H of `value` as DL/T 645 encodes it: 99H plaintext + MAC, or 98H ciphertext + MAC. */
  async writeRequest(session: SecuritySession, di: number, value: Uint8Array, level: typeof ESAM_PLAIN_MAC_LEVEL | typeof ESAM_PASSWORD_LEVEL = ESAM_PLAIN_MAC_LEVEL): Promise<Buffer> {
    const esamOrder = Buffer.from(value).reverse();
    if (level === ESAM_PLAIN_MAC_LEVEL) {
      const mac = await this.module.parameterMac(session, di, esamOrder);
      return encodeProtectedWriteRequest(session.address, di, { level, value, mac }, { operator: this.operator });
    }
    const { ciphertext, mac } = await this.module.encryptParameter(session, di, esamOrder);
    return encodeProtectedWriteRequest(session.address, di, { level, ciphertext, mac }, { operator: this.operator });
  }

  /** 070001FF: how long the meter keeps the session, minutes (BCD), with a MAC. */
  async validityRequest(session: SecuritySession, minutes: number): Promise<Buffer> {
    const bcd = encodeAuthenticationValidity({ minutes, mac: Buffer.alloc(4) }).subarray(0, 2);
    const mac = await this.module.parameterMac(session, SecurityDI.authenticationValidity, Buffer.from(bcd).reverse());
    return encodeSecurityRequest(session.address, { di: SecurityDI.authenticationValidity, operator: this.operator, payload: encodeAuthenticationValidity({ minutes, mac }) });
  }

  /** 070002FF: closes the session; the meter answers with its wallet (decodeSessionClosed). */
  closeRequest(address: string): Buffer {
    return encodeSecurityRequest(address, { di: SecurityDI.authenticationInvalidate, operator: this.operator, payload: new Uint8Array(0) });
  }

  statusRequest(address: string): Buffer {
    return encodeSecurityRequest(address, { di: SecurityDI.statusQuery, operator: this.operator, payload: new Uint8Array(0) });
  }

  /** The wallet from a 078102FF reply, with whether both of the ESAM's MACs check out. */
  async walletFrom(session: SecuritySession, reply: Dlt645Frame): Promise<{ ok: true; wallet: WalletStatus; macsValid: boolean } | { ok: false; reason: SecurityRefusal; errorWord: number }> {
    const outcome = decodeSecurityResponse(reply);
    if (!outcome.ok) return outcome;
    const wallet = decodeWalletStatus(outcome.payload);
    const macsValid =
      (await this.module.verifyFigureMac(session, WALLET_TAG.remaining, wallet.remainingFen, wallet.remainingMac)) &&
      (await this.module.verifyFigureMac(session, WALLET_TAG.purchaseCount, wallet.purchaseCount, wallet.purchaseCountMac));
    return { ok: true, wallet, macsValid };
  }
}
