// What the command lifecycle needs from a protocol: send a relay command, and read the relay back.
// One implementation per protocol (DL/T 645 now; Modbus and concentrators plug in the same way).
import type { MeterRow, CommandAction } from '../db/repo/index.js';

export type SendResult =
  | { accepted: true; note?: string }
  | { accepted: false; outcome: 'refused-keep-power' | 'unauthorised' | 'expired' | 'refused'; message: string };

export interface RelayReadback {
  relay: 'open' | 'closed';
  /** the meter accepted a trip but has not opened the relay yet (DL/T 645 status word 3 bit 6 before bit 4) */
  tripPending: boolean;
  /** the meter permits closing and waits for the customer's button press (0x1C N1 = 1B) */
  closePermitted: boolean;
}

export interface RelayExecutor {
  send(meter: MeterRow, action: CommandAction, deadline: Date): Promise<SendResult>;
  readBack(meter: MeterRow): Promise<RelayReadback>;
}
