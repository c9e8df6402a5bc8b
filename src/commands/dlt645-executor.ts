// Relay commands for DL/T 645 meters: 0x1C with the command's expiry as its validity deadline
// (N3..N8) and the meter's credentials (its own, else its bus's), read back through status word 3
// (bit 4 relay, bit 6 relay command, bit 12 keep-power). A meter whose profile reads no status
// word 3 cannot show its relay: its commands are sent and end unconfirmable.
import type { MeterRow } from '../db/repo/index.js';
import type { ControlCredentials, Dlt645Driver } from '../polling/dlt645-driver.js';
import type { ControlAction } from '../../protocols/dlt645/index.js';
import type { RelayAction, RelayExecutor, RelayReadback, SendResult } from './executor.js';

export interface Dlt645ExecutorOptions {
  /** Whether the meter's reading profile shows its relay state (reads status word 3). Default: yes. */
  showsRelay?: (meter: MeterRow) => boolean;
  /** The meter's 0x1C credentials (its own over its bus's); never logged. */
  credentials?: (meter: MeterRow) => ControlCredentials;
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
    const outcome = await this.driver(meter).control(meter.address, n1, deadline, this.options.credentials?.(meter) ?? {});
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
