// Relay commands for DL/T 645 meters: 0x1C with the command's expiry as its validity deadline
// (N3..N8), read back through status word 3 (bit 4 relay, bit 6 relay command, bit 12 keep-power).
import type { MeterRow } from '../db/repo/index.js';
import type { Dlt645Driver } from '../polling/dlt645-driver.js';
import type { ControlAction } from '../../protocols/dlt645/index.js';
import type { RelayAction, RelayExecutor, RelayReadback, SendResult } from './executor.js';

const REFUSAL = { 'keep-power': 'refused-keep-power', unauthorised: 'unauthorised', expired: 'expired', other: 'refused' } as const;

export class Dlt645Executor implements RelayExecutor {
  constructor(private readonly driverFor: (busId: string) => Dlt645Driver | undefined) {}

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
    const status = await this.driver(meter).readStatusWord3(meter.address, 'command');
    return {
      relay: status.relayOpen ? 'open' : 'closed',
      tripPending: status.relayCommandOpen && !status.relayOpen,
      closePermitted: !status.relayCommandOpen && status.relayOpen,
      keepPower: status.keepPower,
    };
  }

  private async control(meter: MeterRow, n1: ControlAction, deadline: Date): Promise<SendResult> {
    const outcome = await this.driver(meter).control(meter.address, n1, deadline);
    if (outcome.ok) return { accepted: true };
    const word = `error word 0x${outcome.errorWord.toString(16)}`;
    if (outcome.reason === 'unauthorised' && n1 === 'trip') {
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
