// Per-meter online / offline state for scheduled collection, without I/O or timers.
//
//   online ──N consecutive failed reads──▶ offline ──next good reply──▶ online
//
// An offline meter is polled less often, so that a dead meter does not eat the line: after each
// failed probe the pause doubles from twice the poll interval up to `offlineBackoffMaxMs`.
// The database's `online` flag is the state across restarts; this keeps the counts in between.

export interface MeterHealthOptions {
  offlineAfterFailures: number;
  intervalMs: number;
  offlineBackoffMaxMs: number;
}

interface State {
  failures: number;
  offline: boolean;
  /** failed probes since the meter went offline */
  probes: number;
  nextProbeAt: number;
}

export class MeterHealth {
  private readonly states = new Map<string, State>();

  constructor(private readonly options: MeterHealthOptions) {}

  /** Whether a scheduled poll should read the meter now (`online` is the database's flag). */
  due(meterId: string, online: boolean, now: number): boolean {
    const state = this.states.get(meterId);
    if (!state) return true;
    if (!state.offline && online) return true;
    return now >= state.nextProbeAt;
  }

  /** A good reply. Returns true when the meter had been offline. */
  success(meterId: string, online: boolean): boolean {
    const state = this.states.get(meterId);
    this.states.delete(meterId);
    return !online || (state?.offline ?? false);
  }

  /** A read the meter did not answer. `wentOffline` is true on the failure that crosses the limit. */
  failure(meterId: string, online: boolean, now: number): { failures: number; wentOffline: boolean; nextProbeInMs: number | null } {
    let state = this.states.get(meterId);
    if (!state) {
      state = { failures: 0, offline: !online, probes: 0, nextProbeAt: now };
      this.states.set(meterId, state);
    }
    state.failures++;
    let wentOffline = false;
    if (!state.offline && state.failures >= this.options.offlineAfterFailures) {
      state.offline = true;
      wentOffline = true;
    }
    if (!state.offline) return { failures: state.failures, wentOffline, nextProbeInMs: null };
    state.probes++;
    const pause = Math.min(this.options.offlineBackoffMaxMs, this.options.intervalMs * 2 ** Math.min(30, state.probes));
    state.nextProbeAt = now + pause;
    return { failures: state.failures, wentOffline, nextProbeInMs: pause };
  }

  isOffline(meterId: string): boolean {
    return this.states.get(meterId)?.offline ?? false;
  }

  /** Forgets meters that are no longer on the bus. */
  retain(meterIds: ReadonlySet<string>): void {
    for (const id of this.states.keys()) if (!meterIds.has(id)) this.states.delete(id);
  }
}
