// Writes a reply at the speed of the line. A pty or a TCP socket would deliver any number of bytes
// at once; a 2400-baud RS-485 bus does not. Byte i of a reply is handed to the transport no earlier
// than the moment its last bit would leave a real UART, so a reply of N bytes never completes
// before N × bitsPerChar / baud seconds (plus any inter-byte gap a behaviour adds).
//
//   start ──┬─ char ─┬─ char ─┬─ … ─┬─ char ─▶ last byte written at ≥ start + N·11/baud
//           byte 0   byte 1        byte N-1
//
// DL/T 645-2007 §5.3.3: characters are 11 bits (start, 8 data, even parity, stop); the pause
// between bytes Tb may be up to 500 ms.

/** Bits per character on the wire: 8E1 (start + 8 data + parity + stop), also when a pty carries it. */
export const BITS_PER_CHARACTER = 11;

export interface PacingOptions {
  baudRate: number;
  /** Extra pause between consecutive bytes, ms (a slow meter). Default 0. */
  interByteGapMs?: number;
  /** Aborting drops the rest of the reply (the bus is closing). */
  signal?: AbortSignal;
}

/** Milliseconds the line needs for `byteCount` characters at `baudRate`. */
export function wireTimeMs(byteCount: number, baudRate: number): number {
  return (byteCount * BITS_PER_CHARACTER * 1000) / baudRate;
}

export async function writePaced(
  write: (chunk: Buffer) => Promise<void>,
  bytes: Uint8Array,
  options: PacingOptions,
): Promise<void> {
  const charMs = wireTimeMs(1, options.baudRate);
  const gapMs = options.interByteGapMs ?? 0;
  const start = performance.now();
  // When byte i has fully left a real UART.
  const completesAt = (i: number): number => start + (i + 1) * charMs + i * gapMs;
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sent = 0;
  while (sent < data.length) {
    if (options.signal?.aborted) return;
    const now = performance.now();
    let due = sent;
    while (due < data.length && completesAt(due) <= now) due += 1;
    if (due > sent) {
      await write(data.subarray(sent, due));
      sent = due;
      continue;
    }
    // Timers may fire a fraction of a millisecond early; the loop re-checks before writing.
    await sleep(Math.max(1, Math.ceil(completesAt(sent) - now)), options.signal);
  }
}

/** Resolves after `ms`, or at once (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
