// Flow control of readings through the embedded broker (aedes speaks MQTT 3.1.1, which has no
// receive maximum): the daemon chooses which concentrator connections it reads. A message read
// is held until its readings commit and its PUBACK goes out; so few messages are held at once
// that each is acknowledged within the latency bound, and the connections not read wait their
// turn, in order, with their data in TCP's buffers (the concentrator cannot send more than the
// window: back-pressure by TCP flow control, not acknowledgements held for tens of seconds).
//
//   budget (readings held at once) = acknowledged readings/s × ackLatencyBoundMs / 2,
//                                    within [minHeldReadings, maxHeldReadings]
//   readers (connections read now) ≤ what the budget left holds, at the mean message size
//   a connection holding connectionInFlight messages is not read until one is acknowledged;
//   a turn ends with a message acknowledged: the connection goes to the back of the queue
//   while others wait (fair)
//
//   connect ─▶ reader, or queue ─▶ (turn) reader ─▶ message read: held ─▶ PUBACK: released ─┐
//                 ▲                                                                         │
//                 └───────────── back of the queue when others wait ◀───────────────────────┘
//
// The daemon's own connections (its control connection) are never held back.
import type { Aedes, Client } from 'aedes';
import type { Metrics } from '../metrics.js';
import { pausableConnection, type PausableConnection } from './connection-pause.js';

export interface FlowControlOptions {
  ackLatencyBoundMs: number;
  connectionInFlight: number;
  minHeldReadings: number;
  maxHeldReadings: number;
}

interface Connection {
  client: Client;
  /** stops reading its socket (after the packets in hand) and reads on (connection-pause.ts) */
  reading: PausableConnection;
  held: number;
  paused: boolean;
  queued: boolean;
  /** when it last became a reader or its socket gave bytes */
  activeAt: number;
  /** its socket's bytes read when last looked at */
  bytesRead: number;
  /** which queue entry is its place (earlier entries of it are stale) */
  ticket: number;
}

/** How often the budget is recomputed and idle readers are sent to the back. */
const TICK_MS = 250;
/** Acknowledgement rate measured over this window. */
const RATE_WINDOW_MS = 2000;
/** A reader that reads nothing for this long while others wait goes to the back of the queue. */
const IDLE_READER_MS = 500;

/** Bytes the connection's socket has read so far. */
function bytesReadOf(client: Client): number {
  return (client as unknown as { conn?: { bytesRead?: number } }).conn?.bytesRead ?? 0;
}

export class ReadingsFlowControl {
  private readonly connections = new Map<Client, Connection>();
  private readonly queue: Array<{ c: Connection; ticket: number }> = [];
  private tickets = 0;
  private queueHead = 0;
  /** connections in the queue (the array also holds entries already taken or gone) */
  private waitingCount = 0;
  private readers = 0;
  private heldReadings = 0;
  private budget: number;
  /** mean readings per message (moving average); until messages are seen, the first may fill the minimum budget */
  private meanWeight: number;
  private readonly acked: Array<[at: number, readings: number]> = [];
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly broker: Aedes,
    private readonly options: FlowControlOptions,
    private readonly metrics: Metrics,
    /** true for the daemon's own connections */
    private readonly exempt: (clientId: string) => boolean,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.budget = options.minHeldReadings;
    this.meanWeight = options.minHeldReadings;
    // After the connect handshake: aedes pauses and resumes a connection itself during it.
    broker.on('clientReady', (client) => this.connected(client));
    broker.on('clientDisconnect', (client) => this.disconnected(client));
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Stops holding connections back and reads them all again. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    for (const c of this.connections.values()) if (c.paused) this.resume(c);
    this.connections.clear();
    this.queue.length = 0;
    this.waitingCount = 0;
  }

  /**
   * A readings message of `readings` readings was read from `client`; the returned function is
   * called once, when its PUBACK is sent.
   */
  taken(client: Client | null, readings: number): () => void {
    const started = this.now();
    const c = client ? this.connections.get(client) : undefined;
    const weight = Math.max(1, readings);
    this.heldReadings += weight;
    this.meanWeight += (weight - this.meanWeight) * 0.2;
    if (c) {
      c.held++;
      c.activeAt = started;
      if (c.held >= this.options.connectionInFlight) this.stopReading(c);
    }
    // Over budget: no connection is read until messages are acknowledged; the readers keep their
    // turn (they may be in the middle of a message) at the front of the queue.
    if (this.heldReadings >= this.budget) for (const other of this.connections.values()) if (!other.paused) this.stopReading(other, 'front');
    this.gauges();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const at = this.now();
      this.metrics.mqttAckSeconds.observe((at - started) / 1000);
      this.heldReadings -= weight;
      this.acked.push([at, weight]);
      if (c && this.connections.get(c.client) === c) {
        c.held--;
        // A message acknowledged ends the connection's turn when others wait: to the back of the
        // queue (fair); else it reads on.
        if (this.waiting() > (c.queued ? 1 : 0)) {
          this.dequeue(c);
          this.stopReading(c, 'back');
        } else if (c.paused && !c.queued && c.held < this.options.connectionInFlight) this.enqueue(c);
      }
      this.pump();
    };
  }

  private connected(client: Client): void {
    if (this.stopped || !client.id || this.exempt(client.id)) return;
    const c: Connection = { client, reading: pausableConnection(client), held: 0, paused: false, queued: false, activeAt: this.now(), bytesRead: bytesReadOf(client), ticket: 0 };
    this.connections.set(client, c);
    this.readers++;
    // Read at once only while the budget has room and nobody waits.
    if (this.waiting() > 0 || this.readers > this.readerRoom()) this.stopReading(c, 'back');
    this.gauges();
  }

  private disconnected(client: Client): void {
    const c = this.connections.get(client);
    if (!c) return;
    this.connections.delete(client);
    if (!c.paused) this.readers--;
    this.dequeue(c); // its entry stays in the queue array, skipped when reached
    this.pump();
  }

  /** Connections waiting in the queue. */
  private waiting(): number {
    return this.waitingCount;
  }

  /** Readers the budget has room for: the readings left, at the mean message size (at least one while nothing is held). */
  private readerRoom(): number {
    const left = this.budget - this.heldReadings;
    if (left <= 0) return this.heldReadings === 0 ? 1 : 0;
    return Math.max(1, Math.floor(left / Math.max(1, this.meanWeight)));
  }

  private stopReading(c: Connection, enqueue: false | 'back' | 'front' = false): void {
    if (!c.paused) {
      c.paused = true;
      this.readers--;
      c.reading.pause();
    }
    if (enqueue && !c.queued) this.enqueue(c, enqueue);
  }

  private enqueue(c: Connection, where: 'back' | 'front' = 'back'): void {
    c.queued = true;
    c.ticket = ++this.tickets;
    this.waitingCount++;
    const entry = { c, ticket: c.ticket };
    if (where === 'back') this.queue.push(entry);
    else if (this.queueHead > 0) this.queue[--this.queueHead] = entry;
    else this.queue.unshift(entry);
  }

  /** Takes the connection out of the queue (its entry becomes stale). */
  private dequeue(c: Connection): void {
    if (!c.queued) return;
    c.queued = false;
    this.waitingCount--;
  }

  private resume(c: Connection): void {
    c.paused = false;
    c.activeAt = this.now();
    this.readers++;
    c.reading.resume();
  }

  /** Gives connections at the front of the queue their turn while the budget has room. */
  private pump(): void {
    if (this.stopped) return;
    while (this.queueHead < this.queue.length && this.readers < this.readerRoom()) {
      const { c, ticket } = this.queue[this.queueHead++]!;
      if (!c.queued || c.ticket !== ticket || this.connections.get(c.client) !== c) continue;
      this.dequeue(c);
      if (c.held >= this.options.connectionInFlight) continue; // it rejoins once a message is acknowledged
      this.resume(c);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.gauges();
  }

  /** The budget from the acknowledgement rate; readers idle while others wait go to the back. */
  private tick(): void {
    const at = this.now();
    while (this.acked.length > 0 && this.acked[0]![0] < at - RATE_WINDOW_MS) this.acked.shift();
    let readings = 0;
    for (const [, n] of this.acked) readings += n;
    const rate = readings / (RATE_WINDOW_MS / 1000);
    const o = this.options;
    this.budget = Math.min(o.maxHeldReadings, Math.max(o.minHeldReadings, Math.floor(rate * (o.ackLatencyBoundMs / 1000) / 2)));
    for (const c of this.connections.values()) {
      // A socket still giving bytes is in the middle of a message: active.
      const bytes = bytesReadOf(c.client);
      if (bytes !== c.bytesRead) {
        c.bytesRead = bytes;
        c.activeAt = at;
      } else if (!c.paused && c.held === 0 && this.waiting() > 0 && at - c.activeAt >= IDLE_READER_MS) this.stopReading(c, 'back');
    }
    this.pump();
  }

  private gauges(): void {
    this.metrics.mqttHeldReadings.set(this.heldReadings);
    this.metrics.mqttHeldBudget.set(this.budget);
    this.metrics.mqttWaitingConnections.set(this.waiting());
  }
}
