// Collection (采集) as a service for the rest of the daemon: the pollers keyed by bus id, and an
// on-demand read of one meter (priority 'read': ahead of scheduled polls, behind commands) that
// records the reading like a scheduled one and returns the values.
import type { Repositories } from '../db/repo/index.js';
import { AppError } from '../errors.js';
import type { MeterValues, ProbeResult } from './meter-reader.js';
import type { BusPoller, CollectionStats } from './poller.js';

export interface OnDemandRead extends MeterValues {
  meterId: string;
  busId: string;
  /** when the values arrived, ms since the epoch */
  at: number;
}

export class Collection {
  constructor(
    private readonly pollers: ReadonlyMap<string, BusPoller>,
    private readonly repos: Repositories,
    private readonly now: () => number = Date.now,
  ) {}

  busIds(): string[] {
    return [...this.pollers.keys()];
  }

  poller(busId: string): BusPoller | undefined {
    return this.pollers.get(busId);
  }

  /** The DL/T 645 profile a meter is read with now, or null (not on a polled bus, or not DL/T 645). */
  profileInUse(meterId: string): string | null {
    const meter = this.repos.meters.get(meterId);
    const poller = meter?.busId ? this.pollers.get(meter.busId) : undefined;
    return meter && poller ? poller.profileName(meter) : null;
  }

  stats(busId: string): CollectionStats | undefined {
    return this.pollers.get(busId)?.stats;
  }

  /** Asks one meter which edition and DIs it answers, and suggests a profile. Errors as readMeter. */
  async probe(meterId: string): Promise<ProbeResult> {
    const meter = this.repos.meters.get(meterId);
    if (!meter) throw new AppError('METER_NOT_FOUND', `meter ${meterId} does not exist`, { meterId });
    const poller = meter.busId ? this.pollers.get(meter.busId) : undefined;
    if (!poller) throw new AppError('BUS_UNKNOWN', `meter ${meterId} is not on a polled bus (bus ${meter.busId ?? 'none'})`, { meterId, busId: meter.busId });
    return poller.probe(meter);
  }

  /**
   * Reads one meter now. Errors: METER_NOT_FOUND, BUS_UNKNOWN (not on a polled bus), BUS_TIMEOUT
   * (no answer), BUS_CLOSED (link down or shutting down), METER_REFUSED (abnormal reply).
   */
  async readMeter(meterId: string): Promise<OnDemandRead> {
    const meter = this.repos.meters.get(meterId);
    if (!meter) throw new AppError('METER_NOT_FOUND', `meter ${meterId} does not exist`, { meterId });
    const poller = meter.busId ? this.pollers.get(meter.busId) : undefined;
    if (!poller || !meter.busId) {
      throw new AppError('BUS_UNKNOWN', `meter ${meterId} is not on a polled bus (bus ${meter.busId ?? 'none'})`, { meterId, busId: meter.busId });
    }
    if (!poller.reads(meter.protocol)) {
      throw new AppError('BUS_UNKNOWN', `bus ${meter.busId} has no reader for protocol '${meter.protocol}'`, { meterId, busId: meter.busId, protocol: meter.protocol });
    }
    const values = await poller.pollMeter(meter, 'read');
    return { meterId, busId: meter.busId, at: this.now(), ...values };
  }
}
