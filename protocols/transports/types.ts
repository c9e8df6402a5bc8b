// A transport is a factory that yields a duplex byte stream (STYLE.md §7): a serial port, a TCP
// DTU and a pseudo-terminal are interchangeable to the bus driver above.
import type { Duplex } from 'node:stream';

export interface ByteLink {
  readonly stream: Duplex;
  /** Resolves once every byte written so far has left the process (tcdrain on serial). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export type TransportFactory = () => Promise<ByteLink>;

export class TransportError extends Error {
  constructor(readonly code: 'TRANSPORT_OPEN' | 'TRANSPORT_CLOSED', message: string, readonly context: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TransportError';
  }
}
