// Charging of pending readings: the concentrator ingest commits readings to `pending_readings` and
// acknowledges them; this moves them into `readings` and the ledger, each meter's readings
// together (src/ledger/reading-groups.ts), so that under load a meter is charged once for many
// readings and the acknowledgement does not wait for charging.
//
//   ingest commit ─▶ stored(rows) ─┬─ pending ≥ maxPending ──▶ round now (the ingest holds its acks meanwhile)
//                                  └─ otherwise ─────────────▶ round after delayMs
//   ingest idle ───▶ idle() ──────────────────────────────────▶ round now
//   round: the oldest pending readings (from memory, or read back: see below), grouped by meter
//          ─▶ chunks of whole meters, ≤ batchReadings
//          readings each, one transaction each (one event-loop turn each): claim the rows (delete)
//          ─▶ charge each meter's group ─▶ commit ─▶ relay-state, balance-changed, charged listeners
//
// A row is deleted by the transaction that charges it, so a reading is charged once across a
// crash. Should another daemon sharing the database have claimed some of a chunk's rows first,
// the chunk is rolled back and the round planned again from what is left. A chunk that fails
// unexpectedly is redone with a savepoint per meter, and a failing meter's readings one by one:
// each reading that fails alone becomes a dead letter, the rest commit.
//
// The rows the ingest stored are kept in memory, so a round reads nothing back while they are all
// the pending readings there are. Whenever that is not known — after a start with readings left
// pending, when another daemon claimed rows first, or when the count at the end of a round shows
// readings this daemon does not hold (another daemon's) — rounds read the oldest pending readings
// from the database until the count and the memory agree again.
//
// A transaction holds the event loop (the ingest, acknowledgements, keepalives) while it runs, so
// its size is bounded by time as well: a transaction that took longer than `transactionMs` makes
// the next ones smaller, in proportion (at least one meter each), and the bound grows back
// towards `batchReadings` as transactions come in under it. A round's remaining chunks are cut
// again at the new size.
import type { Logger } from 'pino';
import type { Repositories } from '../db/repo/index.js';
import type { PendingReadingRow } from '../db/repo/pending.js';
import type { EventBus } from '../events.js';
import type { Metrics } from '../metrics.js';
import type { TouRegisters } from './consumption.js';
import { recordReadings } from './reading-groups.js';

export interface PendingChargingOptions {
  /** under load, how long a committed reading may wait for its charge */
  delayMs: number;
  /** readings charged in one transaction at most */
  batchReadings: number;
  /** a charging transaction's time to aim for: one that takes longer makes the next ones smaller */
  transactionMs: number;
  /** pending readings above which the ingest stops acknowledging until charging catches up */
  maxPending: number;
  /** the meters' local time, for time-of-use bands and tariff periods */
  utcOffsetMinutes: number;
}

/** A charged reading that showed its meter's relay state, for listeners (the relay executor's read-back). */
export interface ChargedReading {
  concentratorId: string;
  meterId: string;
  accountId: string;
  ts: number;
  energyWh: number;
  relay: 'open' | 'closed';
  /** when the ingest committed it */
  receivedAt: number;
}

/** Where a dead letter of a concentrator's readings says they came from. */
export type ReadingsTopic = (concentratorId: string | null) => string | null;

/** How long stop() goes on charging before leaving the rest for the next start. */
const STOP_BUDGET_MS = 2000;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 5000;

export class PendingCharging {
  private pending = 0;
  /** the pending readings this daemon stored and has not planned yet, oldest first, from queueHead on */
  private queue: PendingReadingRow[] = [];
  private queueHead = 0;
  /** true while the queue holds every pending reading in the database (as far as this daemon knows) */
  private complete = false;
  private chunks: Chunk[] = [];
  /** readings per transaction at most, now: batchReadings, less after slow transactions */
  private chunkReadings: number;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private retryMs = 0;
  private stopped = false;
  private readonly listeners = new Set<(readings: ChargedReading[]) => void>();
  private readonly drained = new Set<() => void>();
  private waiters: Array<() => void> = [];

  constructor(
    private readonly repos: Repositories,
    private readonly events: EventBus,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: PendingChargingOptions,
    private readonly topicOf: ReadingsTopic,
    private readonly now: () => number = Date.now,
  ) {
    this.chunkReadings = options.batchReadings;
  }

  /** Takes up what an earlier run left pending. */
  start(): void {
    this.pending = this.repos.pending.count();
    this.complete = this.pending === 0;
    this.metrics.readingsPending.set(this.pending);
    if (this.pending > 0) this.due();
  }

  /** Pending readings as this daemon counts them. */
  get backlog(): number {
    return this.pending;
  }

  /** True while the ingest should hold its acknowledgements. */
  get full(): boolean {
    return this.pending >= this.options.maxPending;
  }

  /** The ingest committed these readings to the pending table. */
  stored(rows: PendingReadingRow[]): void {
    if (this.stopped) return;
    for (const row of rows) this.queue.push(row);
    this.pending += rows.length;
    this.metrics.readingsPending.set(this.pending);
    if (this.full) this.due();
    else this.timer ??= setTimeout(() => this.due(), this.options.delayMs);
  }

  /** The ingest holds no messages and took none for a while: charge now. */
  idle(): void {
    this.due();
  }

  /** Called after every committed charging transaction with, per meter, the latest reading there that showed its relay state. */
  onCharged(listener: (readings: ChargedReading[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when the backlog is below maxPending again, after a chunk or at the end of a round (the ingest takes messages again). */
  onDrained(listener: () => void): () => void {
    this.drained.add(listener);
    return () => this.drained.delete(listener);
  }

  /** Resolves once nothing this daemon knows of is pending. */
  charged(): Promise<void> {
    if (this.pending === 0 && this.chunks.length === 0) return Promise.resolve();
    this.due();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Charges what is pending for at most `budgetMs` (whole transactions), then takes no more; what
   * is left stays pending for the next start.
   */
  stop(budgetMs = STOP_BUDGET_MS): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearSchedule();
    const until = Date.now() + budgetMs;
    try {
      if (this.chunks.length === 0) this.plan();
      while (this.chunks.length > 0 && Date.now() < until && this.chargeChunk(this.chunks[0]!)) this.chunks.shift();
      if (this.chunks.length > 0) this.logger.info({ readings: this.chunks.reduce((n, c) => n + c.readings, 0) }, 'pending readings left for the next start');
    } catch (err) {
      this.logger.error({ err }, 'pending readings not charged at stop; they are charged at the next start');
    }
    this.chunks = [];
    this.queue = [];
    this.queueHead = 0;
    this.listeners.clear();
    this.drained.clear();
    for (const w of this.waiters.splice(0)) w();
  }

  private clearSchedule(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  /** A round is due: start one at the next turn unless one is running or waiting to retry. */
  private due(): void {
    if (this.stopped || this.retryMs > 0 || this.immediate) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.immediate = setImmediate(() => this.step());
  }

  /** The oldest pending readings, grouped by meter and cut into chunks of whole meters. */
  private plan(): void {
    const groups = new Map<string, PendingReadingRow[]>();
    for (const row of this.oldest(this.options.maxPending)) {
      const group = groups.get(row.meterId);
      if (group) group.push(row);
      else groups.set(row.meterId, [row]);
    }
    this.chunks = this.cut(groups.values());
  }

  /** Meters' groups in chunks of at most chunkReadings readings (a meter larger than that alone). */
  private cut(groups: Iterable<PendingReadingRow[]>): Chunk[] {
    const chunks: Chunk[] = [];
    let chunk: Chunk = { readings: 0, groups: [] };
    for (const group of groups) {
      if (chunk.readings > 0 && chunk.readings + group.length > this.chunkReadings) {
        chunks.push(chunk);
        chunk = { readings: 0, groups: [] };
      }
      chunk.groups.push(group);
      chunk.readings += group.length;
    }
    if (chunk.readings > 0) chunks.push(chunk);
    return chunks;
  }

  /**
   * After a committed chunk: the size of the next ones, in proportion to the time to aim for when
   * it took longer (the round's remaining chunks cut again), doubled back towards batchReadings
   * when it took less than half.
   */
  private resize(chunk: Chunk, ms: number): void {
    const target = this.options.transactionMs;
    if (ms > target) {
      const smaller = Math.max(1, Math.floor(chunk.readings * target / ms));
      if (smaller >= this.chunkReadings) return;
      this.chunkReadings = smaller;
      this.logger.info({ readings: chunk.readings, ms: Math.round(ms), nextReadings: smaller }, 'charging transaction took longer than transactionMs; the next ones are smaller');
      // the committed chunk is still first in the list (the caller takes it off after)
      this.chunks = [this.chunks[0]!, ...this.cut(this.chunks.slice(1).flatMap((c) => c.groups))];
    } else if (ms < target / 2 && this.chunkReadings < this.options.batchReadings && chunk.readings * 2 > this.chunkReadings) {
      this.chunkReadings = Math.min(this.options.batchReadings, this.chunkReadings * 2);
    }
  }

  /** At most `limit` of the oldest pending readings: from memory while it holds them all, else from the database. */
  private oldest(limit: number): PendingReadingRow[] {
    if (!this.complete) {
      // Read back; rows stored from now on are also in memory, for when the count shows they are all.
      this.queue = [];
      this.queueHead = 0;
      return this.repos.pending.oldest(limit);
    }
    const end = Math.min(this.queue.length, this.queueHead + limit);
    const rows = this.queue.slice(this.queueHead, end);
    if (end === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else {
      this.queueHead = end;
      if (this.queueHead >= this.queue.length / 2) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
    }
    return rows;
  }

  /** One chunk per turn, so the ingest and everything else run between them. */
  private step(): void {
    this.immediate = null;
    if (this.stopped) return;
    try {
      if (this.chunks.length === 0) this.plan();
      const chunk = this.chunks[0];
      if (chunk) {
        if (!this.chargeChunk(chunk)) {
          this.retryLater();
          return;
        }
        this.chunks.shift();
      }
    } catch (err) {
      // Reading the pending table failed (the database is unavailable): try again later.
      this.logger.error({ err }, 'pending readings could not be read; retrying');
      this.retryLater();
      return;
    }
    this.retryMs = 0;
    if (this.chunks.length > 0) {
      this.immediate = setImmediate(() => this.step());
      return;
    }
    this.roundEnded();
  }

  /** Steps again after a pause that doubles with each failure; due() waits for it meanwhile. */
  private retryLater(): void {
    this.retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryMs * 2));
    this.timer = setTimeout(() => { this.timer = null; this.step(); }, this.retryMs);
  }

  private roundEnded(): void {
    // Other daemons may have charged some of what this one counted, or stored some: count again.
    // Memory holds every pending reading when the count is what it holds.
    try {
      this.pending = this.repos.pending.count();
      this.complete = this.pending === this.queue.length - this.queueHead;
    } catch {
      // keep the estimate, and read back next round
      this.complete = false;
    }
    this.metrics.readingsPending.set(this.pending);
    if (!this.full) this.notifyDrained();
    if (this.pending === 0) {
      for (const w of this.waiters.splice(0)) w();
    } else if (this.full || this.waiters.length > 0) {
      this.due();
    } else {
      this.timer ??= setTimeout(() => this.due(), this.options.delayMs);
    }
  }

  private notifyDrained(): void {
    for (const listener of this.drained) listener();
  }

  /** One transaction over a chunk; false when it could not commit. */
  private chargeChunk(chunk: Chunk): boolean {
    const at = this.now();
    const started = process.hrtime.bigint();
    let outcome = this.commit(chunk, at, false);
    if (outcome instanceof ClaimedElsewhere) {
      // Another daemon charged some of these: plan again from what is left (this chunk counts as done).
      this.chunks = [];
      this.complete = false;
      this.logger.debug({ readings: chunk.readings }, outcome.message);
      return true;
    }
    if (outcome instanceof Error) {
      this.logger.warn({ err: outcome, readings: chunk.readings }, 'charging pending readings failed; charging meter by meter');
      outcome = this.commit(chunk, at, true);
    }
    if (outcome instanceof Error) {
      this.logger.error({ err: outcome, readings: chunk.readings }, 'charging transaction failed; the readings stay pending and are retried');
      return false;
    }
    const m = this.metrics;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    m.chargingSeconds.observe(seconds);
    this.resize(chunk, seconds * 1000);
    m.chargingMeters.observe(outcome.meters);
    const wasFull = this.full;
    this.pending = Math.max(0, this.pending - chunk.readings);
    m.readingsPending.set(this.pending);
    // Room again: the ingest need not wait for the rest of the round (a round of maxPending
    // readings takes seconds, longer still on PostgreSQL, and a held ack also holds the
    // concentrator's reconnection).
    if (wasFull && !this.full) this.notifyDrained();
    if (outcome.stored) m.readingsTotal.inc({ source: 'mqtt', result: 'stored' }, outcome.stored);
    if (outcome.duplicate) m.readingsTotal.inc({ source: 'mqtt', result: 'duplicate' }, outcome.duplicate);
    if (outcome.backwards) m.readingsTotal.inc({ source: 'mqtt', result: 'backwards' }, outcome.backwards);
    if (outcome.split) m.readingsSplitTotal.inc({ source: 'mqtt' }, outcome.split);
    for (const d of outcome.deadLetters) {
      m.deadLettersTotal.inc({ source: 'mqtt', reason: 'internal' });
      this.logger.warn({ topic: d.topic, reason: d.reason }, 'readings kept as a dead letter');
    }
    if (outcome.charged.length > 0) {
      for (const listener of this.listeners) {
        try {
          listener(outcome.charged);
        } catch (err) {
          this.logger.error({ err }, 'charged-readings listener failed');
        }
      }
    }
    for (const [meterId, state] of outcome.relays) this.events.emit('relay-state', meterId, state);
    for (const accountId of new Set(outcome.accounts)) this.events.emit('balance-changed', accountId);
    return true;
  }

  /** Claims and charges a chunk in one transaction; with `isolate`, each meter in its own savepoint. */
  private commit(chunk: Chunk, at: number, isolate: boolean): ChunkOutcome | Error {
    const outcome = new ChunkOutcome();
    try {
      this.repos.transaction(() => {
        const claimed = this.repos.pending.claim(chunk.groups.flatMap((g) => g.map((r) => r.id)));
        if (claimed !== chunk.readings) throw new ClaimedElsewhere(chunk.readings - claimed);
        outcome.meters = chunk.groups.length;
        for (const group of chunk.groups) {
          const meterId = group[0]!.meterId;
          if (!isolate) {
            this.chargeMeter(meterId, group, at, outcome);
            continue;
          }
          // A meter's readings together, then should they fail, one by one: only the readings
          // that fail alone are set aside.
          if (this.isolated(meterId, group, at, outcome) || group.length === 1) continue;
          for (const row of group) this.isolated(meterId, [row], at, outcome);
        }
      });
      return outcome;
    } catch (err) {
      return err as Error;
    }
  }

  /** Charges readings of a meter in a savepoint; false (and one dead letter for them) when that fails. */
  private isolated(meterId: string, rows: PendingReadingRow[], at: number, outcome: ChunkOutcome): boolean {
    const mark = outcome.mark();
    try {
      this.repos.ingest.savepoint(() => this.chargeMeter(meterId, rows, at, outcome));
      return true;
    } catch (err) {
      outcome.rewind(mark);
      if (rows.length === 1) this.deadLetter(outcome, meterId, rows, `internal: ${(err as Error).message}`, at);
      return false;
    }
  }

  private chargeMeter(meterId: string, group: PendingReadingRow[], at: number, outcome: ChunkOutcome): void {
    const meter = this.repos.meters.get(meterId);
    if (!meter) throw new Error(`meter ${meterId} no longer exists`);
    const inputs = group.map((r) => ({ meterId, ts: r.ts, energyWh: r.energyWh, tou: r.tou === null ? null : JSON.parse(r.tou) as TouRegisters }));
    const result = recordReadings(this.repos, meter, inputs, at, this.options.utcOffsetMinutes);
    for (const o of result.outcomes) outcome[o]++;
    outcome.split += result.split;
    if (result.balanceChanged) outcome.accounts.push(meter.accountId);
    // The latest relay state the readings show; the row was read just now, so an equal state needs no write.
    let latest: PendingReadingRow | null = null;
    for (const r of group) if (r.relay !== null && (!latest || r.ts >= latest.ts)) latest = r;
    if (!latest) return;
    if (latest.relay !== meter.relayState && this.repos.ingest.relayFromReading(meterId, latest.relay!, latest.ts)) {
      outcome.relays.push([meterId, latest.relay!]);
    }
    outcome.charged.push({
      concentratorId: meter.concentratorId ?? '', meterId, accountId: meter.accountId, ts: latest.ts, energyWh: latest.energyWh, relay: latest.relay!, receivedAt: latest.receivedAt,
    });
  }

  /** A meter's readings that could not be charged, kept whole (in the uplink's shape) for inspection. */
  private deadLetter(outcome: ChunkOutcome, meterId: string, group: PendingReadingRow[], reason: string, at: number): void {
    const meter = this.repos.meters.get(meterId);
    const topic = this.topicOf(meter?.concentratorId ?? null);
    const payload = JSON.stringify({
      readings: group.map((r) => ({
        meter: meter?.address ?? meterId, ts: new Date(r.ts).toISOString(), energyWh: r.energyWh,
        ...(r.relay !== null ? { relay: r.relay } : {}), ...(r.tou !== null ? { touWh: JSON.parse(r.tou) as unknown } : {}),
      })),
    });
    this.repos.ingest.deadLetter('mqtt', topic, payload, reason, at);
    outcome.deadLetters.push({ topic, reason });
  }
}

/** Whole meters' pending readings, charged in one transaction. */
interface Chunk {
  readings: number;
  groups: PendingReadingRow[][];
}

/** Some of a chunk's readings were claimed by another daemon first. */
class ClaimedElsewhere extends Error {
  constructor(missing: number) {
    super(`${missing} pending readings were charged by another daemon; planning again`);
  }
}

/** What one charging transaction did, reported after it commits. */
class ChunkOutcome {
  meters = 0;
  stored = 0;
  duplicate = 0;
  backwards = 0;
  /** readings whose interval was split by time */
  split = 0;
  readonly deadLetters: Array<{ topic: string | null; reason: string }> = [];
  readonly charged: ChargedReading[] = [];
  /** accounts whose balance changed (the engine looks at them again) */
  readonly accounts: string[] = [];
  /** meters whose relay state changed, with the new state */
  readonly relays: Array<[string, 'open' | 'closed']> = [];

  mark(): number[] {
    return [this.stored, this.duplicate, this.backwards, this.deadLetters.length, this.charged.length, this.accounts.length, this.relays.length, this.split];
  }

  rewind(mark: number[]): void {
    [this.stored, this.duplicate, this.backwards] = [mark[0]!, mark[1]!, mark[2]!];
    this.deadLetters.length = mark[3]!;
    this.charged.length = mark[4]!;
    this.accounts.length = mark[5]!;
    this.relays.length = mark[6]!;
    this.split = mark[7]!;
  }
}
