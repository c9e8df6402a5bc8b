// What a poll keeps beside the reading: each data identifier's answer or miss (counted per meter
// and DI), live values (latest plus a bounded history), daily freezes (日冻结) read once a day and
// backfilled (补抄) after an outage, and meter events from the event-record counts.
//
//   poll ─▶ catchUpFrozen: once a day per meter, freezes newer than the last stored (and not before
//           the meter was registered), oldest first ─▶ frozen_readings + a late reading (charged once)
//        ─▶ read ─▶ store: DI outcomes, live values
//        ─▶ readEvents: on schedule, or when a status word changed ─▶ a count that rose ─▶ its latest
//           record ─▶ 'meter-event' (outbox: webhooks, the meter's events)
import type { Logger } from 'pino';
import type { MeterRow, Repositories } from '../db/repo/index.js';
import type { EventBus } from '../events.js';
import type { Metrics } from '../metrics.js';
import { recordReading } from '../ledger/consumption.js';
import { toStored } from '../live-values.js';
import type { MeterReader, MeterValues } from './meter-reader.js';

export interface ExtrasOptions {
  utcOffsetMinutes: number;
  /** values kept per meter and quantity */
  liveValuesKept: number;
  /** read daily freezes of meters whose profile has them */
  dailyFrozen: boolean;
  /** event counts read this often per meter; 0 = never */
  eventsIntervalMs: number;
}

const DAY_MS = 86_400_000;
/** Status words whose change sends the poller to the event counts: 1 (faults), 3 (relay, programming), 7 (power, cover). */
const WATCHED_STATUS_WORDS = new Set(['04000501', '04000503', '04000507']);

export class MeterExtras {
  private readonly options: ExtrasOptions;
  /** meter → the local day its freezes were last caught up on */
  private readonly frozenChecked = new Map<string, number>();
  /** meter → when its event counts were last read */
  private readonly eventsRead = new Map<string, number>();

  constructor(
    private readonly busId: string,
    private readonly repos: Repositories,
    private readonly events: EventBus,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    options: Partial<ExtrasOptions> & { utcOffsetMinutes: number },
    private readonly now: () => number,
  ) {
    this.options = { liveValuesKept: 96, dailyFrozen: true, eventsIntervalMs: DAY_MS, ...options };
  }

  /**
   * Stores what a read gave besides the reading; call inside a transaction. Returns each data
   * identifier's previous answer.
   */
  store(meter: MeterRow, values: Omit<MeterValues, 'energyWh'>, at: number): Map<string, string | null> {
    const previous = new Map((values.dataIdentifiers?.length ? this.repos.meterData.dataIdentifiers(meter.id) : []).map((d) => [d.di, d.lastValue]));
    for (const d of values.dataIdentifiers ?? []) {
      if (d.answered) this.repos.meterData.answered(meter.id, d.di, at, d.value);
      else {
        this.repos.meterData.missed(meter.id, d.di, at, d.reason);
        this.metrics.dataIdentifierMisses.inc({ bus: this.busId, reason: d.reason.replace(/:.*$/, '') });
        this.logger.info({ meter: meter.id, address: meter.address, di: d.di, reason: d.reason }, 'meter did not answer a data identifier');
      }
    }
    const live = (values.live ?? []).flatMap((v) => {
      const stored = toStored(v.quantity, v.value);
      return stored === undefined ? [] : [{ quantity: v.quantity, stored }];
    });
    if (live.length > 0) this.repos.meterData.addValues(meter.id, at, live, this.options.liveValuesKept);
    return previous;
  }

  /** Reads the daily freezes missed since the last one stored, once per local day per meter. */
  async catchUpFrozen(reader: MeterReader, meter: MeterRow): Promise<void> {
    if (!this.options.dailyFrozen || !reader.dailyFrozen) return;
    const at = this.now();
    const offset = this.options.utcOffsetMinutes * 60_000;
    const today = Math.floor((at + offset) / DAY_MS);
    if (this.frozenChecked.get(meter.id) === today) return;
    const last = this.repos.meterData.lastFrozen(meter.id);
    // The freeze that opened today is the newest there can be: stored already, nothing to ask.
    const todayStart = today * DAY_MS - offset;
    if (last && last.frozenAt >= todayStart) {
      this.frozenChecked.set(meter.id, today);
      return;
    }
    let result: Awaited<ReturnType<NonNullable<MeterReader['dailyFrozen']>>>;
    try {
      result = await reader.dailyFrozen(meter, last?.frozenAt ?? -Infinity, meter.createdAt, 'poll');
    } catch (err) {
      this.logger.warn({ meter: meter.id, bus: this.busId, err: (err as Error).message }, 'daily frozen data not read');
      return;
    }
    this.frozenChecked.set(meter.id, today);
    if (result.records.length === 0 && result.dataIdentifiers.length === 0) return;
    const backfilled = result.records.filter((r) => r.frozenAt < todayStart).length;
    let stored = 0;
    const balance = this.repos.transaction(() => {
      this.store(meter, { relay: null, dataIdentifiers: result.dataIdentifiers }, at);
      let changed = false;
      for (const r of result.records) {
        if (!this.repos.meterData.addFrozen({ meterId: meter.id, day: r.day, frozenAt: r.frozenAt, energyWh: r.energyWh, readAt: at })) continue;
        stored++;
        changed = recordReading(this.repos, { meterId: meter.id, ts: r.frozenAt, energyWh: r.energyWh }, at, this.options.utcOffsetMinutes).balanceChanged || changed;
      }
      return changed;
    });
    if (stored > 0) {
      this.metrics.frozenReadingsTotal.inc({ bus: this.busId, kind: 'daily' }, stored - Math.min(stored, backfilled));
      if (backfilled > 0) this.metrics.frozenReadingsTotal.inc({ bus: this.busId, kind: 'backfilled' }, Math.min(stored, backfilled));
      this.logger.info({ meter: meter.id, bus: this.busId, stored, days: result.records.map((r) => r.day) }, 'daily frozen readings stored');
    }
    if (balance) this.events.emit('balance-changed', meter.accountId);
  }

  /**
   * Reads the event counts when due (on schedule, or when a watched status word changed) and
   * raises a 'meter-event' for every count that rose, with the latest record of its kind.
   */
  async readEvents(reader: MeterReader, meter: MeterRow, previous: Map<string, string | null>, values: MeterValues): Promise<void> {
    if (!reader.eventCounts || this.options.eventsIntervalMs === 0) return;
    const at = this.now();
    const statusChanged = (values.dataIdentifiers ?? []).some((d) => d.answered && WATCHED_STATUS_WORDS.has(d.di) && previous.has(d.di) && previous.get(d.di) !== d.value);
    const last = this.eventsRead.get(meter.id);
    if (!statusChanged && last !== undefined && at - last < this.options.eventsIntervalMs) return;
    this.eventsRead.set(meter.id, at);
    let counts: Awaited<ReturnType<NonNullable<MeterReader['eventCounts']>>>;
    try {
      counts = await reader.eventCounts(meter, 'poll');
    } catch (err) {
      this.logger.warn({ meter: meter.id, bus: this.busId, err: (err as Error).message }, 'event counts not read');
      return;
    }
    const before = new Map(this.repos.meterData.dataIdentifiers(meter.id).map((d) => [d.di, d.lastValue]));
    const raised: Array<{ kind: string; count: number; previous: number; record: Record<string, unknown> | null }> = [];
    for (const c of counts.counts) {
      const prior = before.get(c.di);
      // The first count seen is a baseline: events before feikong knew the meter are not raised.
      if (prior === undefined || prior === null || !(c.count > Number(prior))) continue;
      const record = reader.eventRecord ? await reader.eventRecord(meter, c.kind, 'poll').catch(() => null) : null;
      raised.push({ kind: c.kind, count: c.count, previous: Number(prior), record });
    }
    const ids = this.repos.transaction(() => {
      this.store(meter, { relay: null, dataIdentifiers: counts.dataIdentifiers }, at);
      return raised.map((e) => this.repos.journal.appendEvent('meter-event', meter.accountId, meter.id, {
        kind: e.kind, count: e.count, previousCount: e.previous, record: e.record, busId: this.busId, address: meter.address,
      }, at));
    });
    for (const id of ids) this.events.emit('event-recorded', id, 'meter-event');
    if (raised.length > 0) this.logger.info({ meter: meter.id, bus: this.busId, events: raised.map((e) => e.kind) }, 'meter events');
  }
}
