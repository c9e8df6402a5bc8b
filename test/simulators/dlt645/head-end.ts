// Test side of the line: a minimal head-end that opens the simulator's pty with serialport (or
// connects to its TCP DTU), writes real frames and collects what comes back, with timestamps.
// Also the "expect within N ms" polling helpers the simulator tests use instead of sleeps.
import { connect, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { Dlt645Parser, type Dlt645Frame, type ParserEvent } from '../../../protocols/dlt645/index.js';

export interface Received {
  frame: Dlt645Frame;
  raw: Buffer;
  /** performance.now() when the last byte of the frame arrived. */
  at: number;
}

export interface Chunk {
  bytes: Buffer;
  at: number;
}

export class HeadEnd {
  readonly frames: Received[] = [];
  readonly discarded: Array<Extract<ParserEvent, { kind: 'discarded' }>> = [];
  readonly chunks: Chunk[] = [];
  private readonly parser = new Dlt645Parser();

  private constructor(
    private readonly writeBytes: (bytes: Buffer) => Promise<void>,
    private readonly closeLine: () => Promise<void>,
  ) {}

  /** Opens a pty end the way a head-end must: 8 data bits, no parity (a pty refuses even parity). */
  static async openSerial(path: string, baudRate: number): Promise<HeadEnd> {
    const port = new SerialPort({ path, baudRate, parity: 'none', autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    const headEnd = new HeadEnd(
      (bytes) =>
        new Promise<void>((resolve, reject) => {
          port.write(bytes, (error) => (error ? reject(error) : port.drain((e) => (e ? reject(e) : resolve()))));
        }),
      () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
    );
    port.on('data', (chunk: Buffer) => headEnd.onData(chunk));
    return headEnd;
  }

  static async connectTcp(port: number, host = '127.0.0.1'): Promise<HeadEnd> {
    const socket: Socket = await new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(s));
      s.once('error', reject);
    });
    const headEnd = new HeadEnd(
      (bytes) => new Promise<void>((resolve, reject) => socket.write(bytes, (error) => (error ? reject(error) : resolve()))),
      () =>
        new Promise<void>((resolve) => {
          if (socket.destroyed) return resolve();
          socket.once('close', () => resolve());
          socket.destroy();
        }),
    );
    socket.on('data', (chunk) => headEnd.onData(chunk));
    return headEnd;
  }

  private onData(chunk: Buffer): void {
    const at = performance.now();
    this.chunks.push({ bytes: chunk, at });
    for (const event of this.parser.push(chunk)) {
      if (event.kind === 'frame') this.frames.push({ frame: event.frame, raw: event.raw, at });
      else this.discarded.push(event);
    }
  }

  /** Writes bytes; resolves with performance.now() once they have been handed to the line. */
  async send(bytes: Buffer): Promise<number> {
    await this.writeBytes(bytes);
    return performance.now();
  }

  /** Sends a request and waits for the next frame to arrive. */
  async request(bytes: Buffer, timeoutMs = 2_000): Promise<Received & { sentAt: number }> {
    const before = this.frames.length;
    const sentAt = await this.send(bytes);
    const reply = await expectWithin(() => this.frames[before], timeoutMs, 'a reply frame');
    return { ...reply, sentAt };
  }

  close(): Promise<void> {
    return this.closeLine();
  }
}

/** Polls `probe` until it returns something other than undefined/false; fails after `timeoutMs`. */
export async function expectWithin<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`expected ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Asserts that `probe` stays undefined/false for the whole window (for "no reply" checks, where
 * waiting out a window is the point).
 */
export async function expectNothingFor(probe: () => unknown, windowMs: number, what: string): Promise<void> {
  const deadline = performance.now() + windowMs;
  while (performance.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) throw new Error(`expected no ${what} for ${windowMs} ms, got ${String(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
