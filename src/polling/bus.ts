// One queue per physical bus (RS-485 line or DTU link): one exchange in flight, priorities
// command > on-demand read > scheduled poll (STYLE.md §4, §5). DL/T 645 and Modbus RTU exchanges
// share this queue; each exchange brings a receiver that understands its own protocol.
//
//   enqueue ─> [command][read][poll] ─> write bytes ─> drain ─> start timer ─> receiver ─> resolve
//                                                         └──── timeout ───> reject BUS_TIMEOUT
import type { ByteLink, TransportFactory } from '../../protocols/transports/types.js';
import { AppError } from '../errors.js';

export type Priority = 'command' | 'read' | 'poll';
const PRIORITIES: readonly Priority[] = ['command', 'read', 'poll'];

/** Consumes the bytes that arrive while its exchange is in flight. */
export interface Receiver<T> {
  /** Returns the result once the awaited reply is complete, undefined to keep waiting. */
  push(chunk: Buffer): T | undefined;
}

export interface Exchange<T> {
  label: string;
  /** bytes to send; empty for a broadcast-only listen */
  request: Buffer;
  /** null for broadcasts that expect no reply */
  receiver: Receiver<T> | null;
  timeoutMs: number;
  priority: Priority;
}

export interface BusStats {
  requests: number;
  replies: number;
  timeouts: number;
  discardedBytes: number;
  checksumFailures: number;
  foreignFrames: number;
  busyMs: number;
  openedAt: number;
}

interface Pending<T> {
  exchange: Exchange<T>;
  resolve: (value: T | undefined) => void;
  reject: (err: Error) => void;
}

export class Bus {
  readonly stats: BusStats = {
    requests: 0, replies: 0, timeouts: 0, discardedBytes: 0, checksumFailures: 0, foreignFrames: 0, busyMs: 0, openedAt: Date.now(),
  };
  private link: ByteLink | null = null;
  private readonly queues = new Map<Priority, Pending<unknown>[]>(PRIORITIES.map((p) => [p, []]));
  private inFlight: { pending: Pending<unknown>; timer: NodeJS.Timeout | null; startedAt: number } | null = null;
  private closed = false;
  private opening: Promise<void> | null = null;

  constructor(
    readonly id: string,
    readonly baudRate: number,
    private readonly transport: TransportFactory,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  /** Time on the wire for `bytes` characters of 11 bits (8E1; DL/T 645-2007 §5.3). */
  wireTimeMs(bytes: number): number {
    return Math.ceil((bytes * 11 * 1000) / this.baudRate);
  }

  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  async open(): Promise<void> {
    if (this.link || this.closed) return;
    this.opening ??= (async () => {
      const link = await this.transport();
      link.stream.on('data', (chunk: Buffer) => this.onData(chunk));
      link.stream.on('error', (err: Error) => this.onError(err));
      link.stream.on('close', () => {
        if (this.link === link) this.link = null;
      });
      this.link = link;
      this.stats.openedAt = Date.now();
    })().finally(() => {
      this.opening = null;
    });
    await this.opening;
  }

  request<T>(exchange: Exchange<T>): Promise<T | undefined> {
    if (this.closed) return Promise.reject(new AppError('BUS_CLOSED', `bus ${this.id} is closed`, { bus: this.id, label: exchange.label }));
    return new Promise<T | undefined>((resolve, reject) => {
      this.queues.get(exchange.priority)!.push({ exchange, resolve, reject } as Pending<unknown>);
      this.pump();
    });
  }

  /** Rejects everything queued and in flight with BUS_CLOSED and closes the link. */
  async close(): Promise<void> {
    this.closed = true;
    const err = (label: string) => new AppError('BUS_CLOSED', `bus ${this.id} closed before ${label} completed`, { bus: this.id, label });
    for (const q of this.queues.values()) for (const p of q.splice(0)) p.reject(err(p.exchange.label));
    if (this.inFlight) {
      if (this.inFlight.timer) clearTimeout(this.inFlight.timer);
      this.inFlight.pending.reject(err(this.inFlight.pending.exchange.label));
      this.inFlight = null;
    }
    await this.link?.close();
    this.link = null;
  }

  private next(): Pending<unknown> | undefined {
    for (const p of PRIORITIES) {
      const q = this.queues.get(p)!;
      if (q.length > 0) return q.shift();
    }
    return undefined;
  }

  private pump(): void {
    if (this.inFlight || this.closed) return;
    const pending = this.next();
    if (!pending) return;
    this.inFlight = { pending, timer: null, startedAt: Date.now() };
    void this.run(pending);
  }

  private async run(pending: Pending<unknown>): Promise<void> {
    const { exchange } = pending;
    try {
      await this.open();
      const link = this.link;
      if (!link) throw new AppError('BUS_CLOSED', `bus ${this.id} has no open link`, { bus: this.id });
      this.stats.requests++;
      link.stream.write(exchange.request);
      await link.drain();
      if (this.inFlight?.pending !== pending) return; // closed meanwhile
      if (!exchange.receiver) {
        // Broadcasts: give the line the request's own wire time before the next exchange.
        setTimeout(() => this.settle(pending, undefined), this.wireTimeMs(exchange.request.length)).unref();
        return;
      }
      // The timer starts after the last byte has left (STYLE.md §5).
      this.inFlight.timer = setTimeout(() => {
        this.stats.timeouts++;
        this.settle(pending, new AppError('BUS_TIMEOUT', `no reply to ${exchange.label} on bus ${this.id} within ${exchange.timeoutMs} ms`, {
          bus: this.id, label: exchange.label, timeoutMs: exchange.timeoutMs,
        }));
      }, exchange.timeoutMs);
    } catch (err) {
      this.settle(pending, err as Error);
    }
  }

  private onData(chunk: Buffer): void {
    const flight = this.inFlight;
    if (!flight || !flight.pending.exchange.receiver) {
      this.stats.discardedBytes += chunk.length;
      return;
    }
    let result: unknown;
    try {
      result = flight.pending.exchange.receiver.push(chunk);
    } catch (err) {
      this.settle(flight.pending, err as Error);
      return;
    }
    if (result !== undefined) {
      this.stats.replies++;
      this.settle(flight.pending, undefined, result);
    }
  }

  private settle(pending: Pending<unknown>, err: Error | undefined, value?: unknown): void {
    const flight = this.inFlight;
    if (!flight || flight.pending !== pending) return;
    if (flight.timer) clearTimeout(flight.timer);
    this.stats.busyMs += Date.now() - flight.startedAt;
    this.inFlight = null;
    if (err) pending.reject(err);
    else pending.resolve(value);
    this.pump();
  }
}
