// Relay commands for DL/T 645 meters: 0x1C with a deadline, read back through status word 3.
import type { MeterRow, CommandAction } from '../db/repo/index.js';
import type { Dlt645Driver } from '../polling/dlt645-driver.js';
import type { RelayExecutor, RelayReadback, SendResult } from './executor.js';

export class Dlt645Executor implements RelayExecutor {
  constructor(private readonly driverFor: (busId: string) => Dlt645Driver | undefined) {}

  private driver(meter: MeterRow): Dlt645Driver {
    const driver = meter.busId ? this.driverFor(meter.busId) : undefined;
    if (!driver) throw new Error(`meter ${meter.id} is on bus ${meter.busId ?? '(none)'}, which is not configured`);
    return driver;
  }

  async send(meter: MeterRow, action: CommandAction, deadline: Date): Promise<SendResult> {
    // Reconnect: direct close (1C) where the meter supports it, else close permitted (1B).
    const n1 = action === 'disconnect' ? 'trip' : meter.supportsDirectClose ? 'directClose' : 'closePermitted';
    const outcome = await this.driver(meter).control(meter.address, n1, deadline);
    if (outcome.ok) return { accepted: true, ...(n1 === 'closePermitted' ? { note: 'close permitted: the customer must press the meter button' } : {}) };
    const map = { 'keep-power': 'refused-keep-power', unauthorised: 'unauthorised', expired: 'expired', other: 'refused' } as const;
    return { accepted: false, outcome: map[outcome.reason], message: `meter ${meter.address} refused ${n1}: ${outcome.reason} (error word 0x${outcome.errorWord.toString(16)})` };
  }

  async readBack(meter: MeterRow): Promise<RelayReadback> {
    const status = await this.driver(meter).readStatusWord3(meter.address, 'command');
    return {
      relay: status.relayOpen ? 'open' : 'closed',
      tripPending: status.relayCommandOpen && !status.relayOpen,
      closePermitted: !status.relayCommandOpen && status.relayOpen,
    };
  }
}
