// What the bus carries: an exchange (request bytes, a receiver for the reply, a first-byte
// timeout, a priority), the bus's timing and reconnect options with their defaults, and its
// counters. Shared by every protocol that uses a bus (DL/T 645, Modbus RTU).

export type Priority = 'command' | 'read' | 'poll';
/** Highest first: relay commands, then on-demand reads, then scheduled polls. */
export const PRIORITIES: readonly Priority[] = ['command', 'read', 'poll'];

/** Consumes the bytes that arrive while its exchange is in flight. */
export interface Receiver<T> {
  /** Returns the result once the awaited reply is complete, undefined to keep waiting. */
  push(chunk: Buffer): T | undefined;
  /** Bytes still expected to complete the awaited frame (its line time extends the deadline). */
  remainingBytes?(): number;
}

export interface Exchange<T> {
  label: string;
  /** Bytes to send; a function is called when the exchange's turn comes (a broadcast time). */
  request: Buffer | (() => Buffer);
  /** null for broadcasts that expect no reply */
  receiver: Receiver<T> | null;
  /** After the request has left, the first byte of the reply must arrive within this, ms. */
  timeoutMs: number;
  priority: Priority;
}

export interface BusOptions {
  /** Allowance for delivery between the head-end and the line (USB adapter, network), ms. */
  latencyMs: number;
  /** DL/T 645-2007 §5.3.3: longest pause between the bytes of a reply (Tb ≤ 500 ms). */
  interByteTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** How long an exchange waits for a link that is down before it fails, ms. */
  linkWaitMs: number;
}

export const DEFAULT_BUS_OPTIONS: BusOptions = {
  latencyMs: 20, interByteTimeoutMs: 500, reconnectMinMs: 1000, reconnectMaxMs: 60_000, linkWaitMs: 10_000,
};

export interface BusStats {
  requests: number;
  replies: number;
  timeouts: number;
  discardedBytes: number;
  checksumFailures: number;
  foreignFrames: number;
  /** Times an open link was lost. */
  linkDrops: number;
  /** Failed attempts to open the link. */
  openFailures: number;
  /** Exchanges that failed because the link was down or dropped. */
  linkFailures: number;
  busyMs: number;
  openedAt: number;
}
