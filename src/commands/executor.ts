// What the command lifecycle needs from a protocol: send a relay command, and read the relay back.
// One implementation per protocol (DL/T 645, Modbus, concentrators plug in the same way).
//
// `send` only ever receives 'disconnect' or 'reconnect'. Keep-power mirroring (保电, 0x1C N1 =
// 3A / 3B on DL/T 645) is optional: an executor that implements `keepPower` and reports
// `keepPower` in its read-back gets keep-power holds mirrored to its meters; one that does not
// is simply never asked.
import type { MeterRow } from '../db/repo/index.js';
import type { Refusal } from '../domain/codes.js';

export type RelayAction = 'disconnect' | 'reconnect';

/** Why a meter refused a command; each is an outcome of its own, not an error to retry blindly (src/domain/codes.ts). */
export type { Refusal } from '../domain/codes.js';

export type SendResult =
  | { accepted: true; note?: string }
  | {
    accepted: false; outcome: Refusal; message: string;
    /** not the meter saying no but the command being impossible (no relay control): failed at once, never retried */
    impossible?: true;
    /** the meter (or its keys) will say no again: refused at once with a review, never resent */
    final?: true;
  };

export interface RelayReadback {
  relay: 'open' | 'closed';
  /** the meter accepted a trip but has not opened the relay yet (DL/T 645 status word 3 bit 6 before bit 4) */
  tripPending: boolean;
  /** the meter permits closing and waits for the customer's button press (0x1C N1 = 1B) */
  closePermitted: boolean;
  /** the meter's own keep-power state (DL/T 645 status word 3 bit 12), where the protocol reports it */
  keepPower?: boolean;
}

export interface RelayExecutor {
  send(meter: MeterRow, action: RelayAction, deadline: Date): Promise<SendResult>;
  readBack(meter: MeterRow): Promise<RelayReadback>;
  /**
   * Optional: whether the meter can show its relay state (DL/T 645: its profile reads status word
   * 3). A command to one that cannot is sent but never confirmed: it ends 'unconfirmable'.
   */
  canReadBack?(meter: MeterRow): boolean;
  /** Optional: put the meter under keep-power (on) or release it (off). */
  keepPower?(meter: MeterRow, on: boolean, deadline: Date): Promise<SendResult>;
}
