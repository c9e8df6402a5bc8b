// One queue per physical bus (RS-485 line or DTU link): one exchange in flight, priorities
// command > on-demand read > scheduled poll. DL/T 645 and Modbus RTU exchanges share this queue;
// each exchange brings a receiver that understands its own protocol.
//
//   request() ─▶ [command][read][poll] ─▶ send (resolves when the last byte has left)
//        │                                    └─▶ ReplyClock: first byte within timeoutMs, then the
//        │                                        rest of the frame's line time + Tb ─▶ receiver ─▶ resolve
//        └─ link down: wait for it up to linkWaitMs, then reject BUS_CLOSED (reason 'link-down')
//
// The receiver is registered before the request is written, so a fast reply is never missed.
// No promise is left hanging: every exchange ends in a value, BUS_TIMEOUT, BUS_CLOSED, or the
// receiver's verdict on a bad reply (FRAME_CHECKSUM, FRAME_CRC) the moment its last byte arrives.
// A suspended bus (another daemon holds its lease) has its link closed and fails every request at
// once with BUS_CLOSED (reason 'suspended') until it is started again.
import type { TransportFactory } from '../../protocols/transports/types.js';
import { AppError, isAppError } from '../errors.js';
import { ReconnectingLink } from './bus-link.js';
import { BusyMeter } from './busy-meter.js';
import { ReplyClock } from './reply-clock.js';
import { PriorityQueue, type Pending } from './bus-queue.js';
import { DEFAULT_BUS_OPTIONS, type BusOptions, type BusStats, type Exchange, type Priority } from './exchange.js';

export type { BusOptions, BusStats, Exchange, Priority, Receiver } from './exchange.js';
export { DEFAULT_BUS_OPTIONS } from './exchange.js';

/** DL/T 645-2007 §5.3.3: Td ≥ 20 ms — the quiet time left on the line after a broadcast. */
const BROADCAST_GAP_MS = 20;
/** A reply longer than this many bytes without completing is noise (4 FE + 12 + 200 data, twice). */
const NOISE_LIMIT_BYTES = 2 * (4 + 12 + 200);

interface Flight {
  pending: Pending;
  clock: ReplyClock | null;
  timer: NodeJS.Timeout | null;
}

/** The error with when its reply's last chunk came and when it was judged (AppError context); other errors as they are. */
function withTiming(err: Error, timing: Record<string, unknown>): Error {
  return isAppError(err) ? new AppError(err.code, err.message, { ...timing, ...err.context }) : err;
}

export class Bus {
  readonly stats: BusStats = {
    requests: 0, replies: 0, timeouts: 0, discardedBytes: 0, checksumFailures: 0, foreignFrames: 0,
    linkDrops: 0, openFailures: 0, linkFailures: 0, busyMs: 0, openedAt: Date.now(),
  };
  readonly options: BusOptions;
  private readonly queue = new PriorityQueue();
  private readonly busy = new BusyMeter(Date.now());
  private readonly link: ReconnectingLink;
  private flight: Flight | null = null;
  private closed = false;
  /** why the bus is suspended, or null while it may be used */
  private suspended: string | null = null;
  private downSince: number | null = Date.now();
  private waitTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: string,
    readonly baudRate: number,
    transport: TransportFactory,
    private readonly onError: (err: Error) => void = () => {},
    options: Partial<BusOptions> = {},
    /** The reply clock's time source: when the request left, when each chunk came, when a reply was judged. */
    private readonly clock: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_BUS_OPTIONS, ...options };
    this.link = new ReconnectingLink(transport, this.options, {
      onUp: () => this.linkUp(),
      onDown: (err) => this.linkDown(err),
      onOpenFailed: (err, retryInMs) => {
        this.stats.openFailures++;
        this.report(new AppError('BUS_CLOSED', `bus ${this.id}: cannot open the link (${err.message}); retrying in ${retryInMs} ms`, { bus: this.id, reason: 'open-failed', retryInMs }));
        this.expireWaiting();
      },
      onData: (chunk) => this.onData(chunk),
    });
  }

  /** Time on the wire for `bytes` characters of 11 bits (8E1; DL/T 645-2007 §5.1 字节格式), whole ms. */
  wireTimeMs(bytes: number): number {
    return Math.ceil((bytes * 11 * 1000) / this.baudRate);
  }

  /** First-byte timeout for a peer that answers within `responseDelayMaxMs`: Td + latency + one character. */
  firstByteTimeoutMs(responseDelayMaxMs: number): number {
    return responseDelayMaxMs + this.options.latencyMs + this.wireTimeMs(1);
  }

  get queued(): number {
    return this.queue.length;
  }

  get linkIsUp(): boolean {
    return this.link.up;
  }

  /** Share of the last minute the bus was busy, 0..1. */
  utilisation(now = Date.now()): number {
    return this.busy.ratio(now);
  }

  /** Whether the bus is suspended (its link closed on purpose until `start()`). */
  get isSuspended(): boolean {
    return this.suspended !== null;
  }

  /** Opens the link in the background (ending a suspension); failures are reported and retried, never thrown. */
  start(): void {
    if (this.closed) return;
    if (this.suspended !== null) {
      this.suspended = null;
      this.downSince = Date.now();
      this.link.resume();
      return;
    }
    this.link.ensure();
  }

  /**
   * Closes the link and fails everything queued and in flight with BUS_CLOSED (reason
   * 'suspended'); until `start()`, requests fail at once and the link stays closed.
   */
  async suspend(why: string): Promise<void> {
    if (this.closed || this.suspended !== null) return;
    this.suspended = why;
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    const err = (label: string) => new AppError('BUS_CLOSED', `bus ${this.id} suspended (${why}) before ${label} completed`, { bus: this.id, label, reason: 'suspended' });
    for (const p of this.queue.drain()) p.reject(err(p.exchange.label));
    if (this.flight) this.settle(this.flight.pending, err(this.flight.pending.exchange.label));
    await this.link.suspend();
  }

  request<T>(exchange: Exchange<T>): Promise<T | undefined> {
    if (this.closed) return Promise.reject(new AppError('BUS_CLOSED', `bus ${this.id} is closed`, { bus: this.id, label: exchange.label, reason: 'closed' }));
    if (this.suspended !== null) {
      return Promise.reject(new AppError('BUS_CLOSED', `bus ${this.id} is suspended: ${this.suspended}`, { bus: this.id, label: exchange.label, reason: 'suspended' }));
    }
    return new Promise<T | undefined>((resolve, reject) => {
      this.queue.push({ exchange: exchange as Exchange<unknown>, resolve: resolve as (v: unknown) => void, reject, enqueuedAt: Date.now() });
      this.link.ensure();
      this.pump();
    });
  }

  /**
   * Rejects the queued exchanges of one priority with BUS_CLOSED (reason 'cancelled'), e.g. the
   * scheduled polls when the daemon stops; the exchange in flight completes.
   */
  cancelQueued(priority: Priority): number {
    const cancelled = this.queue.removeWhere((p) => p.exchange.priority === priority);
    for (const p of cancelled) {
      p.reject(new AppError('BUS_CLOSED', `bus ${this.id}: ${p.exchange.label} cancelled`, { bus: this.id, label: p.exchange.label, reason: 'cancelled' }));
    }
    return cancelled.length;
  }

  /** Rejects everything queued and in flight with BUS_CLOSED and closes the link. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.waitTimer) clearTimeout(this.waitTimer);
    const err = (label: string) => new AppError('BUS_CLOSED', `bus ${this.id} closed before ${label} completed`, { bus: this.id, label, reason: 'closed' });
    for (const p of this.queue.drain()) p.reject(err(p.exchange.label));
    if (this.flight) this.settle(this.flight.pending, err(this.flight.pending.exchange.label));
    await this.link.close();
  }

  private pump(): void {
    if (this.flight || this.closed || this.suspended !== null) return;
    if (!this.link.up) {
      this.expireWaiting();
      return;
    }
    const pending = this.queue.shift();
    if (!pending) return;
    this.flight = { pending, clock: null, timer: null };
    this.busy.start(Date.now());
    void this.run(pending);
  }

  private async run(pending: Pending): Promise<void> {
    const { exchange } = pending;
    let bytes: Buffer;
    try {
      bytes = typeof exchange.request === 'function' ? exchange.request() : exchange.request;
    } catch (err) {
      this.settle(pending, err as Error);
      return;
    }
    const flight = this.flight!;
    if (exchange.receiver) {
      flight.clock = new ReplyClock({
        firstByteMs: exchange.timeoutMs, interByteMs: this.options.interByteTimeoutMs,
        charMs: (11 * 1000) / this.baudRate, noiseLimitBytes: NOISE_LIMIT_BYTES,
      });
    }
    this.stats.requests++;
    try {
      await this.link.send(bytes);
    } catch (err) {
      if (this.flight !== flight) return; // already failed by the link going down
      this.stats.linkFailures++;
      this.settle(pending, new AppError('BUS_CLOSED', `bus ${this.id}: link lost while sending ${exchange.label}: ${(err as Error).message}`, {
        bus: this.id, label: exchange.label, reason: 'link-lost',
      }));
      return;
    }
    if (this.flight !== flight) return; // settled meanwhile (closed, link lost, or the reply already came)
    if (!flight.clock) {
      // A broadcast: nobody answers; leave the line quiet for the meters to act on it.
      flight.timer = setTimeout(() => this.settle(pending, undefined), BROADCAST_GAP_MS);
      return;
    }
    flight.clock.sent(this.clock());
    this.arm(flight);
  }

  /** Sets the flight's timer for its clock's deadline; when it fires early (bytes came), re-arms. */
  private arm(flight: Flight): void {
    const clock = flight.clock!;
    const now = this.clock();
    const verdict = clock.verdict(now);
    if (verdict.kind === 'timeout') {
      this.stats.timeouts++;
      const { exchange } = flight.pending;
      this.settle(flight.pending, new AppError('BUS_TIMEOUT', `${exchange.label} on bus ${this.id}: ${clock.describe(verdict.reason)}`, {
        bus: this.id, label: exchange.label, timeoutMs: exchange.timeoutMs, reason: verdict.reason, receivedBytes: clock.received,
      }));
      return;
    }
    flight.timer = setTimeout(() => {
      flight.timer = null;
      if (this.flight === flight) this.arm(flight);
    }, Math.max(1, Math.ceil(verdict.deadline - now)));
  }

  private onData(chunk: Buffer): void {
    const flight = this.flight;
    const receiver = flight?.pending.exchange.receiver;
    if (!flight || !receiver) {
      this.stats.discardedBytes += chunk.length;
      return;
    }
    const at = this.clock();
    let result: unknown;
    try {
      result = receiver.push(chunk);
    } catch (err) {
      // The receiver judged the reply bad (a wrong checksum or CRC): the exchange ends with the
      // chunk that completed it, and the error says when that chunk came and when it was judged.
      flight.clock?.bytes(chunk.length, 0, at);
      this.settle(flight.pending, withTiming(err as Error, { bus: this.id, label: flight.pending.exchange.label, receivedBytes: flight.clock?.received ?? chunk.length, lastByteAt: at, rejectedAt: this.clock() }));
      return;
    }
    if (result !== undefined) {
      this.stats.replies++;
      this.settle(flight.pending, undefined, result);
      return;
    }
    flight.clock!.bytes(chunk.length, receiver.remainingBytes?.() ?? 0, at);
    // The armed timer re-checks the deadline when it fires; only noise needs an answer now.
    if (flight.timer && flight.clock!.verdict(this.clock()).kind === 'timeout') {
      clearTimeout(flight.timer);
      this.arm(flight);
    }
  }

  private settle(pending: Pending, err: Error | undefined, value?: unknown): void {
    const flight = this.flight;
    if (!flight || flight.pending !== pending) return;
    if (flight.timer) clearTimeout(flight.timer);
    const now = Date.now();
    this.busy.stop(now);
    this.stats.busyMs = this.busy.totalMs;
    this.flight = null;
    if (err) pending.reject(err);
    else pending.resolve(value);
    this.pump();
  }

  private linkUp(): void {
    this.downSince = null;
    this.stats.openedAt = Date.now();
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    this.pump();
  }

  private linkDown(err: Error): void {
    this.stats.linkDrops++;
    this.downSince = Date.now();
    this.report(new AppError('BUS_CLOSED', `bus ${this.id}: link lost (${err.message}); reconnecting`, { bus: this.id, reason: 'link-lost' }));
    if (this.flight) {
      this.stats.linkFailures++;
      const { exchange } = this.flight.pending;
      this.settle(this.flight.pending, new AppError('BUS_CLOSED', `bus ${this.id}: link lost during ${exchange.label}`, {
        bus: this.id, label: exchange.label, reason: 'link-lost',
      }));
    }
    this.expireWaiting();
  }

  /** While the link is down, fails exchanges that have waited linkWaitMs for it; re-arms for the next. */
  private expireWaiting(): void {
    if (this.closed || this.suspended !== null || this.link.up) return;
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    const now = Date.now();
    const downSince = this.downSince ?? now;
    const waitLimit = this.options.linkWaitMs;
    const expired = this.queue.removeWhere((p) => now - Math.max(p.enqueuedAt, downSince) >= waitLimit);
    for (const p of expired) {
      this.stats.linkFailures++;
      p.reject(new AppError('BUS_CLOSED', `bus ${this.id}: link down; ${p.exchange.label} waited ${waitLimit} ms for it`, {
        bus: this.id, label: p.exchange.label, reason: 'link-down', waitedMs: waitLimit,
      }));
    }
    const oldest = this.queue.oldestEnqueuedAt();
    if (oldest === undefined) return;
    const dueIn = Math.max(oldest, downSince) + waitLimit - now;
    this.waitTimer = setTimeout(() => {
      this.waitTimer = null;
      this.expireWaiting();
    }, Math.max(1, dueIn));
    this.waitTimer.unref();
  }

  private report(err: Error): void {
    try {
      this.onError(err);
    } catch {
      // a failing error listener must not take the bus down
    }
  }
}
