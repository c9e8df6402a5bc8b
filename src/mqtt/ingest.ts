// The readings ingest: decoded messages are held, committed in batches (many messages per
// transaction, so throughput does not depend on one fsync per message) to the pending readings,
// and acknowledged only after their batch commits. A crash before the commit loses nothing
// acknowledged: the broker or the concentrator sends the unacknowledged messages again. Charging
// follows from the pending readings (src/ledger/pending-charging.ts), many readings of a meter at
// a time, so the acknowledgement does not wait for it; storing and charging are idempotent.
//
//   source (embedded broker hook | subscriber connections)
//     └─ submit(topic, payload, ack) ─▶ decode ─▶ held ─▶ flush: one transaction
//          ├─ per message: its meters looked up (in memory while the meters are unchanged,
//          │   src/mqtt/meter-directory.ts), dead letters; then the batch's
//          │   pending readings in one statement (should anything throw, the batch is redone
//          │   with a savepoint per message)
//          └─ commit ─▶ ack every message ─▶ pending charging given the stored rows (and told when the ingest is idle)
//
// Holding the ack is the flow control of an external broker's subscriber connections (mqtt.js
// handles one message at a time, and the broker sends at most the receive maximum). Through the
// embedded broker, the flow control (src/mqtt/flow-control.ts) chooses which connections are read,
// so that what is held is acknowledged within the latency bound. The ingest also holds its acks
// while charging is behind by maxPending readings.
import type { Logger } from 'pino';
import type { Repositories } from '../db/repo/index.js';
import type { Metrics } from '../metrics.js';
import type { PendingCharging } from '../ledger/pending-charging.js';
import type { NewPendingReading, PendingReadingRow } from '../db/repo/pending.js';
import { MeterDirectory } from './meter-directory.js';
import { decodeReadings, type ReadingLimits, type ReadingsMessage, type Rejection } from './payload.js';
import { concentratorValues, toStored } from '../live-values.js';

export interface IngestOptions extends ReadingLimits {
  batchMaxReadings: number;
  lingerMs: number;
  maxPayloadBytes: number;
  /** live values kept per meter and quantity (voltage, current, power, remaining money); default 96 */
  liveValuesKept?: number;
}

interface Held {
  topic: string;
  concentratorId: string;
  payload: Buffer;
  decoded: ReadingsMessage | Rejection;
  /** readings in the message (1 for a rejected message): the batch-size measure */
  weight: number;
  ack: () => void;
}

/** Dead letters keep at most this much of a payload. */
const DEAD_LETTER_MAX_CHARS = 65_536;
/** No message for this long after a commit: the ingest is idle. */
const IDLE_MS = 20;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 5000;

export class IngestPipeline {
  private held: Held[] = [];
  private heldWeight = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private retryMs = 0;
  private stopped = false;
  /** messages taken since the last commit: none for IDLE_MS after it means the ingest is idle */
  private submitted = 0;
  private idleCheck: NodeJS.Timeout | null = null;
  private readonly offDrained: () => void;
  private readonly committedListeners = new Set<(readings: number) => void>();
  private readonly directory: MeterDirectory;

  constructor(
    private readonly repos: Repositories,
    private readonly charging: PendingCharging,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: IngestOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.directory = new MeterDirectory(repos);
    this.offDrained = charging.onDrained(() => {
      if (this.held.length > 0) this.schedule();
    });
  }

  /** Called after every commit with the readings it stored. */
  onCommitted(listener: (readings: number) => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  /** Messages received and not yet acknowledged. */
  get inFlight(): number {
    return this.held.length;
  }

  /**
   * Takes one readings message; `ack` is called once, after the message (its readings, or its
   * dead letter) is committed. After stop() messages are not taken and never acknowledged: the
   * sender keeps them for the next start. Returns the message's readings (its weight in a batch).
   */
  submit(topic: string, concentratorId: string, payload: Buffer, ack: () => void): number {
    if (this.stopped) return 0;
    const decoded: ReadingsMessage | Rejection = payload.length > this.options.maxPayloadBytes
      ? { code: 'too-large', detail: `${payload.length} bytes (at most ${this.options.maxPayloadBytes})` }
      : decodeReadings(payload, this.now(), this.options);
    const weight = 'readings' in decoded ? Math.max(1, decoded.readings.length + decoded.rejected.length) : 1;
    this.held.push({ topic, concentratorId, payload, decoded, weight, ack });
    this.submitted++;
    this.heldWeight += weight;
    this.metrics.ingestInFlight.set(this.held.length);
    this.schedule();
    return weight;
  }

  /** Commits and acknowledges everything held, then takes no more. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearSchedule();
    while (this.held.length > 0) {
      if (!this.flush()) break; // the database refuses: leave the rest unacknowledged for redelivery
    }
    this.held = [];
    this.heldWeight = 0;
    this.metrics.ingestInFlight.set(0);
    this.offDrained();
  }

  private clearSchedule(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    if (this.idleCheck) clearTimeout(this.idleCheck);
    this.timer = null;
    this.immediate = null;
    this.idleCheck = null;
  }

  private schedule(): void {
    // While charging is behind, acknowledgements wait: it calls back when it has caught up.
    if (this.stopped || this.retryMs > 0 || this.charging.full) return;
    if (this.heldWeight >= this.options.batchMaxReadings || this.options.lingerMs === 0) {
      // Committing after pending I/O callbacks lets every connection's ready message join the batch.
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.immediate ??= setImmediate(() => this.run());
    } else {
      this.timer ??= setTimeout(() => this.run(), this.options.lingerMs);
    }
  }

  private run(): void {
    this.immediate = null;
    this.timer = null;
    if (this.stopped || this.held.length === 0 || this.charging.full) return;
    if (this.flush()) {
      this.retryMs = 0;
      if (this.held.length > 0) this.schedule();
      return;
    }
    // The transaction failed as a whole (disk full, I/O error): keep everything held, retry later.
    this.retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryMs * 2));
    this.timer = setTimeout(() => this.run(), this.retryMs);
  }

  /** One transaction over the oldest held messages; false when it could not commit. */
  private flush(): boolean {
    let count = 0;
    let weight = 0;
    while (count < this.held.length && (count === 0 || weight + this.held[count]!.weight <= this.options.batchMaxReadings)) {
      weight += this.held[count]!.weight;
      count++;
    }
    const batch = this.held.slice(0, count);
    const at = this.now();
    const started = process.hrtime.bigint();
    let outcome = this.commit(batch, at, false);
    if (outcome instanceof Error) {
      // Something unexpected inside one message: commit again with a savepoint around each, so
      // only the failing message is set aside (as a dead letter) and the others go in.
      this.logger.warn({ err: outcome, messages: batch.length }, 'ingest batch failed; committing message by message');
      outcome = this.commit(batch, at, true);
    }
    if (outcome instanceof Error) {
      this.logger.error({ err: outcome, messages: batch.length }, 'ingest transaction failed; readings stay unacknowledged and will be retried');
      return false;
    }
    this.held.splice(0, count);
    this.heldWeight -= weight;
    this.submitted = 0;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    for (const message of batch) message.ack();
    const m = this.metrics;
    m.ingestInFlight.set(this.held.length);
    m.ingestCommitSeconds.observe(seconds);
    m.ingestBatchReadings.observe(outcome.pending);
    m.mqttMessagesTotal.inc({ kind: 'readings', result: 'committed' }, batch.length);
    for (const d of outcome.deadLetters) {
      m.deadLettersTotal.inc({ source: 'mqtt', reason: d.code });
      this.logger.warn({ topic: d.topic, reason: d.reason }, 'readings kept as a dead letter');
    }
    this.charging.stored(outcome.stored);
    for (const listener of this.committedListeners) listener(outcome.pending);
    // Idle: nothing held now and nothing taken for IDLE_MS. Charging then starts at once; while
    // messages keep coming it waits its delay and charges each meter once for more readings.
    if (this.held.length === 0 && !this.stopped) {
      if (this.idleCheck) clearTimeout(this.idleCheck);
      this.idleCheck = setTimeout(() => {
        this.idleCheck = null;
        if (this.submitted === 0 && this.held.length === 0) this.charging.idle();
      }, IDLE_MS);
    }
    return true;
  }

  /** Applies a batch in one transaction; with `isolate`, each message in its own savepoint. */
  private commit(batch: Held[], at: number, isolate: boolean): BatchOutcome | Error {
    const outcome = new BatchOutcome();
    try {
      this.repos.transaction(() => {
        this.directory.refresh();
        for (const message of batch) {
          if (!isolate) {
            this.applyMessage(message, at, outcome);
            continue;
          }
          const mark = outcome.mark();
          try {
            this.repos.ingest.savepoint(() => {
              this.applyMessage(message, at, outcome);
              for (const row of this.repos.pending.addMany(outcome.rows.slice(mark[0]))) outcome.stored.push(row);
            });
          } catch (err) {
            outcome.rewind(mark);
            this.deadLetter(outcome, message.topic, message.payload.toString('utf8', 0, DEAD_LETTER_MAX_CHARS * 4), 'internal', (err as Error).message, at);
          }
        }
        // The batch's readings in one statement.
        if (!isolate) outcome.stored = this.repos.pending.addMany(outcome.rows);
      });
      return outcome;
    } catch (err) {
      return err as Error;
    }
  }

  private deadLetter(outcome: BatchOutcome, topic: string, payload: string, code: string, detail: string, at: number): void {
    const reason = `${code}: ${detail}`;
    this.repos.ingest.deadLetter('mqtt', topic, payload.length > DEAD_LETTER_MAX_CHARS ? payload.slice(0, DEAD_LETTER_MAX_CHARS) : payload, reason, at);
    outcome.deadLetters.push({ topic, reason, code });
  }

  private applyMessage(message: Held, at: number, outcome: BatchOutcome): void {
    const { decoded, topic, concentratorId } = message;
    if (!('readings' in decoded)) {
      this.deadLetter(outcome, topic, message.payload.toString('utf8', 0, DEAD_LETTER_MAX_CHARS * 4), decoded.code, decoded.detail, at);
      return;
    }
    const meters = this.directory.meterIds(concentratorId, decoded.readings.map((r) => r.meter));
    for (const reading of decoded.readings) {
      const meterId = meters.get(reading.meter);
      if (meterId === undefined) {
        this.deadLetter(outcome, topic, JSON.stringify({ readings: [reading.raw] }), 'unknown-meter', `no meter "${reading.meter}" behind concentrator ${concentratorId}`, at);
        continue;
      }
      outcome.rows.push({ meterId, ts: reading.ts, energyWh: reading.energyWh, relay: reading.relay, tou: reading.tou ? JSON.stringify(reading.tou) : null, receivedAt: at });
      // Voltage, current, power and the meter's own money, when the reading has them: live values,
      // in the same transaction (and savepoint) as the reading.
      const live = concentratorValues(reading).flatMap((v) => {
        const stored = toStored(v.quantity, v.value);
        return stored === undefined ? [] : [{ quantity: v.quantity, stored }];
      });
      if (live.length > 0) this.repos.meterData.addValues(meterId, reading.ts, live, this.options.liveValuesKept ?? 96);
    }
    for (const bad of decoded.rejected) this.deadLetter(outcome, topic, JSON.stringify({ readings: [bad.raw] }), bad.code, bad.detail, at);
  }
}

/** What one transaction did, reported after it commits. */
class BatchOutcome {
  /** pending readings to store */
  readonly rows: NewPendingReading[] = [];
  /** the pending readings stored, with their ids */
  stored: PendingReadingRow[] = [];
  readonly deadLetters: Array<{ topic: string; reason: string; code: string }> = [];

  get pending(): number {
    return this.stored.length;
  }

  mark(): number[] {
    return [this.rows.length, this.deadLetters.length, this.stored.length];
  }

  rewind(mark: number[]): void {
    this.rows.length = mark[0]!;
    this.deadLetters.length = mark[1]!;
    this.stored.length = mark[2]!;
  }
}
