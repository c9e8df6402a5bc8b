// Scheduled collection (采集) on one bus, for every protocol that has a reader: each cycle reads
// every due meter at the lowest priority and hands the values to the ledger. A silent meter costs
// the bus one timeout per attempt and never stalls the others; after repeated failures it is
// marked offline (an outbox event) and polled less often, and it is back online (another event)
// on its next good reply. A link that is down fails reads without blaming the meters. With several
// daemons, only the one holding the bus's lease polls it: the poller is started when the lease is
// taken and stopped when it is lost, and reads of a bus this daemon does not hold fail BUS_CLOSED.
//
//   cycle: meters on the bus ─▶ due? (offline backoff) ─▶ reader.read(meter, 'poll') all queued at once
//          ─▶ bus serialises them ─▶ recordReading + relay state ─▶ collection success ratio
import type { Logger } from 'pino';
import type { Repositories, MeterRow } from '../db/repo/index.js';
import type { EventBus } from '../events.js';
import type { Metrics } from '../metrics.js';
import { AppError } from '../errors.js';
import { recordReading } from '../ledger/consumption.js';
import type { Priority } from './bus.js';
import { isPartialRead, type MeterReader, type MeterValues, type ProbeResult } from './meter-reader.js';
import { MeterHealth } from './meter-health.js';
import { MeterExtras, type ExtrasOptions } from './meter-extras.js';

export interface PollerOptions {
  intervalMs: number;
  offlineAfterFailures: number;
  /** Longest pause between reads of an offline meter, ms. */
  offlineBackoffMaxMs: number;
  /** The meters' local time, for time-of-use charging; default UTC+8. */
  utcOffsetMinutes?: number;
  /** Whether this daemon holds the bus now (its lease); default always. */
  held?: () => boolean;
  /** Live values, daily freezes and events (defaults: see src/config/schema.ts polling). */
  extras?: Partial<ExtrasOptions>;
}

export interface CollectionStats {
  cycles: number;
  /** Meters with a reader on the bus in the last complete cycle. */
  lastCycleMeters: number;
  /** Of those, meters read successfully in that cycle. */
  lastCycleRead: number;
  /** Offline meters skipped by backoff in that cycle (counted as not collected). */
  lastCycleSkipped: number;
  /** Share of the last complete cycle's meters that were read (采集成功率); null before the first. */
  successRatio: number | null;
}

export class BusPoller {
  readonly stats: CollectionStats = { cycles: 0, lastCycleMeters: 0, lastCycleRead: 0, lastCycleSkipped: 0, successRatio: null };
  private readonly health: MeterHealth;
  private readonly extras: MeterExtras;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private cycle: Promise<void> | null = null;

  constructor(
    readonly busId: string,
    private readonly readers: ReadonlyMap<string, MeterReader>,
    private readonly repos: Repositories,
    private readonly events: EventBus,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: PollerOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.health = new MeterHealth(options);
    this.extras = new MeterExtras(busId, repos, events, metrics, logger, { utcOffsetMinutes: options.utcOffsetMinutes ?? 480, ...options.extras }, now);
  }

  /** Starts the schedule (again, after a stop that has finished); the first cycle runs at once. */
  start(): void {
    this.stopped = false;
    if (this.timer || this.cycle) return; // running, or a cycle ending now schedules the next
    const loop = () => {
      this.timer = null;
      if (this.stopped) return;
      const started = Date.now();
      this.cycle = this.pollAll().catch((err: unknown) => {
        this.logger.error({ err, bus: this.busId }, 'poll cycle failed');
      }).finally(() => {
        this.cycle = null;
        if (!this.stopped) this.timer = setTimeout(loop, Math.max(0, this.options.intervalMs - (Date.now() - started)));
      });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.cycle?.catch(() => {});
  }

  /** Asks a meter which edition and DIs it answers (a reader that can probe: DL/T 645). */
  async probe(meter: MeterRow): Promise<ProbeResult> {
    const reader = this.readers.get(meter.protocol);
    if (!reader?.probe) throw new AppError('VALIDATION', `meter ${meter.id} (${meter.protocol}) cannot be probed: only DL/T 645 meters are`, { meterId: meter.id });
    if (this.options.held && !this.options.held()) {
      throw new AppError('BUS_CLOSED', `bus ${this.busId} is held by another daemon`, { bus: this.busId, meterId: meter.id, reason: 'suspended' });
    }
    return reader.probe(meter);
  }

  /** The profile a meter is read with now, where its reader has profiles. */
  profileName(meter: MeterRow): string | null {
    return this.readers.get(meter.protocol)?.profileName?.(meter) ?? null;
  }

  /** Whether this bus has a reader for `protocol`. */
  reads(protocol: string): boolean {
    return this.readers.has(protocol);
  }

  /** Meters with a reader on this bus that are marked offline. */
  offlineCount(): number {
    return this.repos.meters.onBus(this.busId).filter((m) => this.readers.has(m.protocol) && !m.online).length;
  }

  /** One cycle: every due meter queued at once; the bus serialises them and keeps commands ahead. */
  async pollAll(): Promise<void> {
    const meters = this.repos.meters.onBus(this.busId).filter((m) => this.readers.has(m.protocol));
    this.health.retain(new Set(meters.map((m) => m.id)));
    const at = this.now();
    const due = meters.filter((m) => this.health.due(m.id, m.online === 1, at));
    const results = await Promise.all(due.map((m) => this.pollMeter(m, 'poll').then(() => true, () => false)));
    if (this.stopped) return;
    const read = results.filter(Boolean).length;
    const skipped = meters.length - due.length;
    if (skipped > 0) this.metrics.pollsTotal.inc({ bus: this.busId, result: 'skipped' }, skipped);
    Object.assign(this.stats, {
      cycles: this.stats.cycles + 1, lastCycleMeters: meters.length, lastCycleRead: read, lastCycleSkipped: skipped,
      successRatio: meters.length > 0 ? read / meters.length : null,
    });
  }

  /**
   * Reads one meter now and records the values. Scheduled polls use priority 'poll'; on-demand
   * reads use 'read' and get the values or the coded error (BUS_TIMEOUT, BUS_CLOSED, METER_REFUSED).
   */
  async pollMeter(meter: MeterRow, priority: Priority = 'poll'): Promise<MeterValues> {
    const reader = this.readers.get(meter.protocol);
    if (!reader) throw new RangeError(`no reader for protocol '${meter.protocol}' on bus ${this.busId}`);
    if (this.options.held && !this.options.held()) {
      throw new AppError('BUS_CLOSED', `bus ${this.busId} is held by another daemon`, { bus: this.busId, meterId: meter.id, reason: 'suspended' });
    }
    // Once a day, and after an outage, the daily freezes missed are read first (oldest first,
    // each charged like any late reading), then the meter's values now.
    if (priority === 'poll') await this.extras.catchUpFrozen(reader, meter);
    let values: MeterValues;
    try {
      values = await reader.read(meter, priority);
    } catch (err) {
      // What the meter answered besides a missing energy register is kept.
      if (isPartialRead(err)) this.repos.transaction(() => this.extras.store(meter, err.partial, this.now()));
      if (isPartialRead(err) && err.partial.relay) this.setRelay(meter, err.partial.relay);
      this.failed(meter, err as Error, priority);
      throw err;
    }
    const previous = this.record(meter, values, priority);
    if (priority === 'poll') await this.extras.readEvents(reader, meter, previous, values);
    return values;
  }

  private setRelay(meter: MeterRow, relay: 'open' | 'closed'): void {
    const current = this.repos.meters.get(meter.id);
    this.repos.meters.setRelayState(meter.id, relay, this.now());
    if (current && current.relayState !== relay) this.events.emit('relay-state', meter.id, relay);
  }

  /** Records a read; returns the data identifiers' previous answers (to see what changed). */
  private record(meter: MeterRow, values: MeterValues, priority: Priority): Map<string, string | null> {
    const at = this.now();
    const fresh = this.repos.meters.get(meter.id);
    const current = fresh ?? meter;
    const relayChanged = values.relay !== null && current.relayState !== values.relay;
    const cameOnline = this.health.success(meter.id, current.online === 1);
    const outcome = this.repos.transaction(() => {
      const r = recordReading(this.repos, { meterId: meter.id, ts: at, energyWh: values.energyWh, tou: values.touWh ?? null }, at, this.options.utcOffsetMinutes, fresh);
      if (values.relay !== null) this.repos.meters.setRelayState(meter.id, values.relay, at);
      const previous = this.extras.store(meter, values, at);
      return { r, eventId: cameOnline ? this.backOnline(meter, at) : null, previous };
    });
    if (priority === 'poll') this.metrics.pollsTotal.inc({ bus: this.busId, result: 'ok' });
    this.metrics.readingsTotal.inc({ source: priority === 'poll' ? 'poll' : 'on-demand', result: outcome.r.stored ? 'stored' : 'duplicate' });
    if (outcome.r.split) this.metrics.readingsSplitTotal.inc({ source: priority === 'poll' ? 'poll' : 'on-demand' });
    this.announceOnline(meter, outcome.eventId);
    if (relayChanged) this.events.emit('relay-state', meter.id, values.relay!);
    if (outcome.r.balanceChanged) this.events.emit('balance-changed', meter.accountId);
    return outcome.previous;
  }

  /** Marks the meter online with an outbox event; call inside a transaction. */
  private backOnline(meter: MeterRow, at: number): number {
    this.repos.meters.setOnline(meter.id, true);
    return this.repos.journal.appendEvent('meter-online', meter.accountId, meter.id, { busId: this.busId, address: meter.address }, at);
  }

  private announceOnline(meter: MeterRow, eventId: number | null): void {
    if (eventId === null) return;
    this.logger.info({ meter: meter.id, address: meter.address, bus: this.busId }, 'meter back online');
    this.events.emit('event-recorded', eventId, 'meter-online');
  }

  private failed(meter: MeterRow, err: Error, priority: Priority): void {
    const count = (result: string) => {
      if (priority === 'poll') this.metrics.pollsTotal.inc({ bus: this.busId, result });
    };
    const code = (err as { code?: string }).code;
    const reason = (err as { context?: { reason?: string } }).context?.reason;
    if (code === 'BUS_CLOSED') {
      // The bus is closing or suspended, the read was cancelled, or the link is down: not the meter's fault.
      if (reason !== 'closed' && reason !== 'cancelled' && reason !== 'suspended') count('link-down');
      return;
    }
    const at = this.now();
    const fresh = this.repos.meters.get(meter.id);
    const current = fresh ?? meter;
    const online = current.online === 1;
    if (code !== 'BUS_TIMEOUT') {
      // The meter answered, but not with a usable value (refused, malformed): it is online.
      count('error');
      this.logger.warn({ meter: meter.id, address: meter.address, bus: this.busId, err: err.message, priority }, 'meter read failed');
      if (this.health.success(meter.id, online)) this.announceOnline(meter, this.repos.transaction(() => this.backOnline(meter, at)));
      return;
    }
    const { failures, wentOffline, nextProbeInMs } = this.health.failure(meter.id, online, at);
    count('timeout');
    this.logger.warn({ meter: meter.id, address: meter.address, bus: this.busId, err: err.message, failures, nextProbeInMs }, 'meter did not answer');
    if (!wentOffline || !online) return;
    const eventId = this.repos.transaction(() => {
      this.repos.meters.setOnline(meter.id, false);
      return this.repos.journal.appendEvent('meter-offline', meter.accountId, meter.id, { busId: this.busId, address: meter.address, failures, error: err.message }, at);
    });
    this.logger.warn({ meter: meter.id, address: meter.address, bus: this.busId, failures }, 'meter offline');
    this.events.emit('event-recorded', eventId, 'meter-offline');
  }
}
