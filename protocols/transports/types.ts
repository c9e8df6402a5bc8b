// A transport is a factory that yields a byte link: a serial port, a TCP DTU and a
// pseudo-terminal are interchangeable to the bus driver above. The link reports what it hears on
// `stream` ('data', 'error', 'close'); `send` puts a request on the line and resolves once its last
// byte has left — never earlier than the line rate allows, so that reply timers start where the
// standard starts them.
import type { Duplex } from 'node:stream';

export interface ByteLink {
  /** Bytes heard on the line ('data'); 'error' and 'close' when the link breaks. */
  readonly stream: Duplex;
  /** Writes `bytes`; resolves once the last one has left the line (as far as the transport can tell). */
  send(bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

export type TransportFactory = () => Promise<ByteLink>;

export type TransportErrorCode = 'TRANSPORT_OPEN' | 'TRANSPORT_WRITE' | 'TRANSPORT_CLOSED';

export class TransportError extends Error {
  constructor(readonly code: TransportErrorCode, message: string, readonly context: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TransportError';
  }
}

export function isTransportError(e: unknown): e is TransportError {
  return e instanceof TransportError;
}

/** Bits per character on an RS-485 meter line: start, 8 data, even parity, stop (8E1; DL/T 645-2007 §5.1 字节格式). */
export const BITS_PER_CHARACTER = 11;

/** Time the line needs for `bytes` characters at `baudRate`, ms (fractional). */
export function lineTimeMs(bytes: number, baudRate: number): number {
  return (bytes * BITS_PER_CHARACTER * 1000) / baudRate;
}

/** Resolves after `ms` (at once for ms ≤ 0). */
export function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** Rejects with TRANSPORT_WRITE when `promise` has not settled within `ms`. */
export function bounded<T>(promise: Promise<T>, ms: number, what: string, context: Record<string, unknown>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransportError('TRANSPORT_WRITE', `${what} did not complete within ${Math.round(ms)} ms`, context)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
