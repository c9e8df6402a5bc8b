// Remote control of an ESAM meter (State Grid remote fee control, Q/GDW 1365-2013): identity
// authentication (03H 070000FF) on the bus, then the command encrypted under that session
// (1CH PA 98H, through the ESAM payload strategy of protocols/dlt645/control-strategy.ts).
// Read-back stays with the command lifecycle (service.ts), as for every meter.
//
//   authenticate ──SERR bit 3──▶ authentication-failed   (its own outcome; not resent blindly)
//        │  module has no keys of the version ──▶ key-version-unknown (review)
//        ▼
//   1CH PA 98H ──ok──▶ accepted
//        │ bit 3 (session gone: the meter's validity ran out, it restarted) ──▶ authenticate again, once
//        │ bit 1 MAC error / bit 0 suspended ──▶ refused 'unauthorised' (resent after the backoff)
//        └ keep-power, deadline, other ──▶ refused as on any meter
//
// A new session for every command: one more exchange on the bus, no session state to lose.

import {
  EsamControlStrategy,
  SecurityDI,
  controlSecurityCause,
  encodeEsamControlBody,
  plaintextControlBlock,
  type ControlAction,
  type ControlOutcome,
  type SecurityRefusal,
} from '../../protocols/dlt645/index.js';
import type { Dlt645Driver } from '../polling/dlt645-driver.js';
import { EsamExchanges } from '../security/esam-exchanges.js';
import { isSecurityModuleError, type SecurityModule, type SecuritySession } from '../security/types.js';

export type EsamControlResult =
  | { kind: 'accepted'; authentications: number }
  | { kind: 'refused'; outcome: Extract<ControlOutcome, { ok: false }>; authentications: number }
  | { kind: 'authentication-failed'; reason: SecurityRefusal; errorWord: number }
  | { kind: 'key-version-unknown'; message: string };

/** Reply payload of 070000FF: random number 2 (4) and the ESAM serial (8). */
const AUTH_REPLY_BYTES = 12;

export interface EsamMeter {
  address: string;
  keyVersion: number;
  /** C3..C0 as 8 hex digits. */
  operatorCode?: string;
}

export class EsamControl {
  constructor(private readonly module: SecurityModule) {}

  private async authenticate(driver: Dlt645Driver, exchanges: EsamExchanges, meter: EsamMeter): Promise<SecuritySession | EsamControlResult> {
    const ref = { address: meter.address, keyVersion: meter.keyVersion };
    let request;
    try {
      request = await exchanges.authenticationRequest(ref);
    } catch (e) {
      if (isSecurityModuleError(e) && e.code === 'SECURITY_KEY_UNKNOWN') return { kind: 'key-version-unknown', message: e.message };
      throw e;
    }
    const reply = await driver.securityExchange(meter.address, SecurityDI.identityAuthentication, request.frame, 'identity authentication', AUTH_REPLY_BYTES);
    const result = exchanges.sessionFrom(ref, request.challenge, reply);
    if (!result.ok) return { kind: 'authentication-failed', reason: result.reason, errorWord: result.errorWord };
    return result.session;
  }

  async control(driver: Dlt645Driver, meter: EsamMeter, action: ControlAction, deadline: Date): Promise<EsamControlResult> {
    const exchanges = new EsamExchanges(this.module, meter.operatorCode ?? '00000000');
    let authentications = 0;
    for (;;) {
      const session = await this.authenticate(driver, exchanges, meter);
      authentications++;
      if ('kind' in session) return session;
      const command = { action, deadline, utcOffsetMinutes: driver.utcOffsetMinutes, ...(meter.operatorCode ? { operator: meter.operatorCode } : {}) };
      const block = await this.module.encryptControl(session, plaintextControlBlock(command));
      const body = encodeEsamControlBody(block);
      const outcome = await driver.controlWith(meter.address, command, new EsamControlStrategy({ encryptControlBlock: () => body }));
      if (outcome.ok) return { kind: 'accepted', authentications };
      if (controlSecurityCause(outcome) === 'session' && authentications === 1) continue; // once
      return { kind: 'refused', outcome, authentications };
    }
  }
}
