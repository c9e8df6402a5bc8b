// The load-switch (relay) of a simulated prepaid meter and its 0x1C control semantics, without
// bytes or timers: commands come in already decoded, time comes in as the meter's clock (ms).
//
// DL/T 645-2007 §7.13 / Q/GDW 1364 behaviour modelled here:
//   1A trip            relay command state (status word 3 bit 6) set at once; relay (bit 4) opens
//                      now, or `tripDelayMs` later; refused while keep-power (3A) is in force
//   1B close permitted command state cleared; relay stays open until the customer presses the button
//   1C direct close    command state cleared and relay closed at once (if the meter supports it)
//   2A / 2B            pre-trip alarm (bit 7) on / off
//   3A / 3B            keep-power hold (bit 12) on / off; 3A drops a pending delayed trip but does
//                      not close an open relay

import type { ControlAction, ControlRefusal } from '../../protocols/dlt645/index.js';

export type { ControlAction, ControlRefusal };
export type ControlOutcome = 'ok' | ControlRefusal;

export interface RelayOptions {
  /** Delay between the trip command and the relay opening, ms. Default 0, allowed 0..3 600 000. */
  tripDelayMs?: number;
  /** Whether N1=1C (direct close) is understood; older meters only know 1B. Default true. */
  supportsDirectClose?: boolean;
  /** Start with the relay open (and the command state set). Default false. */
  initiallyOpen?: boolean;
  /** Start under keep-power. Default false. */
  keepPower?: boolean;
}

export interface RelayStatus {
  /** Status word 3 bit 4: the relay is actually open. */
  relayOpen: boolean;
  /** Status word 3 bit 6: the last relay command was "open". */
  relayCommandOpen: boolean;
  /** Status word 3 bit 7. */
  preTripAlarm: boolean;
  /** Status word 3 bit 12. */
  keepPower: boolean;
}

const MAX_TRIP_DELAY_MS = 3_600_000;

export class Relay {
  readonly tripDelayMs: number;
  readonly supportsDirectClose: boolean;
  private relayOpen: boolean;
  private relayCommandOpen: boolean;
  private preTripAlarm = false;
  private keepPower: boolean;
  /** Meter-clock time at which a delayed trip opens the relay, or null. */
  private pendingTripAtMs: number | null = null;
  /** 1B received while open: the next button press closes the relay. */
  private closePermitted = false;

  constructor(options: RelayOptions = {}) {
    this.tripDelayMs = options.tripDelayMs ?? 0;
    if (!(this.tripDelayMs >= 0 && this.tripDelayMs <= MAX_TRIP_DELAY_MS)) {
      throw new RangeError(`tripDelayMs must be 0..${MAX_TRIP_DELAY_MS}, got ${this.tripDelayMs}`);
    }
    this.supportsDirectClose = options.supportsDirectClose ?? true;
    this.relayOpen = options.initiallyOpen ?? false;
    this.relayCommandOpen = this.relayOpen;
    this.keepPower = options.keepPower ?? false;
  }

  /** When a delayed trip will open the relay (meter clock, ms), or null if none is pending. */
  get pendingTripAt(): number | null {
    return this.pendingTripAtMs;
  }

  /** True while a 1B close-permit waits for the customer's button press. */
  get awaitingButton(): boolean {
    return this.closePermitted;
  }

  /** Opens the relay if a delayed trip has come due by `nowMs`. */
  settle(nowMs: number): void {
    if (this.pendingTripAtMs !== null && nowMs >= this.pendingTripAtMs) {
      this.pendingTripAtMs = null;
      this.relayOpen = true;
    }
  }

  status(nowMs: number): RelayStatus {
    this.settle(nowMs);
    return {
      relayOpen: this.relayOpen,
      relayCommandOpen: this.relayCommandOpen,
      preTripAlarm: this.preTripAlarm,
      keepPower: this.keepPower,
    };
  }

  /** Applies an authorised, unexpired command; returns 'ok' or why the meter refused it. */
  apply(action: ControlAction, nowMs: number): ControlOutcome {
    this.settle(nowMs);
    switch (action) {
      case 'trip':
        if (this.keepPower) return 'keep-power';
        this.relayCommandOpen = true;
        this.closePermitted = false;
        if (this.relayOpen) return 'ok';
        if (this.tripDelayMs > 0) {
          this.pendingTripAtMs ??= nowMs + this.tripDelayMs;
        } else {
          this.relayOpen = true;
        }
        return 'ok';
      case 'closePermitted':
        this.relayCommandOpen = false;
        this.pendingTripAtMs = null;
        this.closePermitted = this.relayOpen;
        return 'ok';
      case 'directClose':
        if (!this.supportsDirectClose) return 'other';
        this.relayCommandOpen = false;
        this.pendingTripAtMs = null;
        this.closePermitted = false;
        this.relayOpen = false;
        return 'ok';
      case 'alarm':
        this.preTripAlarm = true;
        return 'ok';
      case 'alarmRelease':
        this.preTripAlarm = false;
        return 'ok';
      case 'keepPower':
        // A trip still waiting out its delay would cut supply under the hold: it is dropped.
        this.keepPower = true;
        this.pendingTripAtMs = null;
        return 'ok';
      case 'keepPowerRelease':
        this.keepPower = false;
        return 'ok';
    }
  }

  /** The customer presses the meter's button: closes the relay only after a 1B close-permit. */
  pressButton(nowMs: number): boolean {
    this.settle(nowMs);
    if (!this.closePermitted) return false;
    this.closePermitted = false;
    this.relayOpen = false;
    return true;
  }
}
