// Relay commands for DL/T 645 meters: 0x1C with the command's expiry as its validity deadline
// (N3..N8) and the meter's credentials (its own, else its bus's), read back through status word 3
// (bit 4 relay, bit 6 relay command, bit 12 keep-power). A meter whose profile reads no status
// word 3 cannot show its relay: its commands are sent and end unconfirmable.
// An ESAM meter (security mode 'esam') is authenticated first and sent the command encrypted
// (esam-control.ts); its read-back is the same.
import type { MeterRow } from '../db/repo/index.js';
import type { ControlCredentials, Dlt645Driver } from '../polling/dlt645-driver.js';
import type { ControlAction, ControlOutcome } from '../../protocols/dlt645/index.js';
import type { RelayAction, RelayExecutor, RelayReadback, SendResult } from './executor.js';
import type { EsamControl, EsamControlResult } from './esam-control.js';

/** How a meter's remote control is protected: plaintext 1CH, or ESAM (PA 98H after identity authentication). */
export interface MeterSecurity {
  mode: 'plaintext' | 'esam';
  /** The key version the meter's ESAM holds (esam mode). */
  keyVersion: number;
}

export interface Dlt645ExecutorOptions {
  /** Whether the meter's reading profile shows its relay state (reads status word 3). Default: yes. */
  showsRelay?: (meter: MeterRow) => boolean;
  /** The meter's 0x1C credentials (its own over its bus's); never logged. */
  credentials?: (meter: MeterRow) => ControlCredentials;
  /** The meter's security mode and key version; default plaintext. */
  security?: (meter: MeterRow) => MeterSecurity;
  /** Authenticated, encrypted control for ESAM meters; without it an ESAM meter's command is impossible. */
  esam?: EsamControl;
}

const REFUSAL = { 'keep-power': 'refused-keep-power', unauthorised: 'unauthorised', expired: 'expired', other: 'refused' } as const;

export class Dlt645Executor implements RelayExecutor {
  constructor(private readonly driverFor: (busId: string) => Dlt645Driver | undefined, private readonly options: Dlt645ExecutorOptions = {}) {}

  canReadBack(meter: MeterRow): boolean {
    return this.options.showsRelay?.(meter) ?? true;
  }

  private driver(meter: MeterRow): Dlt645Driver {
    const driver = meter.busId ? this.driverFor(meter.busId) : undefined;
    if (!driver) throw new Error(`meter ${meter.id} is on bus ${meter.busId ?? '(none)'}, which is not configured`);
    return driver;
  }

  async send(meter: MeterRow, action: RelayAction, deadline: Date): Promise<SendResult> {
    // Reconnect: direct close (1C) where the meter supports it, else close permitted (1B).
    const n1: ControlAction = action === 'disconnect' ? 'trip' : meter.supportsDirectClose ? 'directClose' : 'closePermitted';
    const result = await this.control(meter, n1, deadline);
    if (result.accepted && n1 === 'closePermitted') return { accepted: true, note: 'close permitted: the customer must press the meter button' };
    return result;
  }

  keepPower(meter: MeterRow, on: boolean, deadline: Date): Promise<SendResult> {
    return this.control(meter, on ? 'keepPower' : 'keepPowerRelease', deadline);
  }

  async readBack(meter: MeterRow): Promise<RelayReadback> {
    if (!this.canReadBack(meter)) throw new Error(`meter ${meter.id} cannot show its relay state: its profile reads no status word 3`);
    const status = await this.driver(meter).readStatusWord3(meter.address, 'command');
    return {
      relay: status.relayOpen ? 'open' : 'closed',
      tripPending: status.relayCommandOpen && !status.relayOpen,
      closePermitted: !status.relayCommandOpen && status.relayOpen,
      keepPower: status.keepPower,
    };
  }

  private async control(meter: MeterRow, n1: ControlAction, deadline: Date): Promise<SendResult> {
    const security = this.options.security?.(meter);
    if (security?.mode === 'esam') return this.esamControl(meter, security, n1, deadline);
    const outcome = await this.driver(meter).control(meter.address, n1, deadline, this.options.credentials?.(meter) ?? {});
    return this.refusalOf(meter, n1, outcome);
  }

  private async esamControl(meter: MeterRow, security: MeterSecurity, n1: ControlAction, deadline: Date): Promise<SendResult> {
    if (!this.options.esam) {
      return { accepted: false, outcome: 'refused', impossible: true, message: `meter ${meter.address} is an ESAM meter and no security module is configured` };
    }
    const operatorCode = this.options.credentials?.(meter).operatorCode;
    const result: EsamControlResult = await this.options.esam.control(this.driver(meter), { address: meter.address, keyVersion: security.keyVersion, ...(operatorCode ? { operatorCode } : {}) }, n1, deadline);
    switch (result.kind) {
      case 'accepted':
        return { accepted: true };
      case 'authentication-failed':
        return {
          accepted: false, outcome: 'authentication-failed', final: true,
          message: `meter ${meter.address} refused identity authentication under key version ${security.keyVersion} (${result.reason}, security error word 0x${result.errorWord.toString(16)}): check the meter's key version`,
        };
      case 'key-version-unknown':
        return { accepted: false, outcome: 'key-version', final: true, message: `no keys of version ${security.keyVersion} for meter ${meter.address}: ${result.message}` };
      case 'refused':
        return this.refusalOf(meter, n1, result.outcome);
    }
  }

  private async refusalOf(meter: MeterRow, n1: ControlAction, outcome: ControlOutcome): Promise<SendResult> {
    if (outcome.ok) return { accepted: true };
    const word = `error word 0x${outcome.errorWord.toString(16)}`;
    if (outcome.reason === 'unauthorised' && n1 === 'trip' && this.canReadBack(meter)) {
      // Meters that know no keep-power bit refuse a trip under keep-power with the catch-all
      // "unauthorised" bit: status word 3 bit 12 tells the two apart.
      const underKeepPower = await this.driver(meter).readStatusWord3(meter.address, 'command').then((s) => s.keepPower, () => false);
      if (underKeepPower) {
        return { accepted: false, outcome: 'refused-keep-power', message: `meter ${meter.address} refused trip as unauthorised (${word}) and reports keep-power in status word 3` };
      }
    }
    return { accepted: false, outcome: REFUSAL[outcome.reason], message: `meter ${meter.address} refused ${n1}: ${outcome.reason} (${word})` };
  }
}
