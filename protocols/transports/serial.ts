// Serial-port transport (serialport 13) for an RS-485 meter line.
//
//   send(bytes) ─▶ [pty: hold for the line time] ─▶ write ─▶ tcdrain ─▶ [wait out the line time] ─▶ resolve
//
// DL/T 645 lines run 8E1; pseudo-terminals refuse even parity with EINVAL, so parity 'auto' picks
// none on a pty and even on a real port. A pseudo-terminal also has no line rate: it hands the
// peer a whole frame at once. With line emulation (default: on a pty only) each request is held
// for the time its bytes take on a real line, so the peer hears the last byte when a meter on
// RS-485 would. On a real port tcdrain already waits for the UART; USB adapters that return early
// are covered by waiting out the line time after it.
import { realpathSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { TransportError, bounded, delay, lineTimeMs, type ByteLink, type TransportFactory } from './types.js';

export interface SerialOptions {
  path: string;
  baudRate: number;
  parity: 'even' | 'none' | 'auto';
  /** Hold each write for its line time: 'auto' (default) on a pseudo-terminal only. */
  lineEmulation?: 'auto' | boolean;
  /** Bound on one write and drain beyond the line time, ms. Default 2000. */
  writeTimeoutMs?: number;
}

const DEFAULT_WRITE_TIMEOUT_MS = 2_000;

export function isPseudoTerminal(path: string): boolean {
  try {
    return realpathSync(path).startsWith('/dev/pts/');
  } catch {
    return false;
  }
}

export function serialTransport(options: SerialOptions): TransportFactory {
  return async () => {
    const pty = isPseudoTerminal(options.path);
    const parity = options.parity === 'auto' ? (pty ? 'none' : 'even') : options.parity;
    const emulate = options.lineEmulation === undefined || options.lineEmulation === 'auto' ? pty : options.lineEmulation;
    const writeTimeoutMs = options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    const context = { path: options.path };
    const port = new SerialPort({ path: options.path, baudRate: options.baudRate, dataBits: 8, stopBits: 1, parity, autoOpen: false });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(new TransportError('TRANSPORT_OPEN', `cannot open serial port ${options.path}: ${err.message}`, context)) : resolve()));
    });

    const writeAndDrain = (bytes: Buffer) =>
      new Promise<void>((resolve, reject) => {
        if (!port.isOpen) return reject(new TransportError('TRANSPORT_CLOSED', `serial port ${options.path} is closed`, context));
        port.write(bytes, (err) => {
          if (err) return reject(new TransportError('TRANSPORT_WRITE', `writing to ${options.path} failed: ${err.message}`, context));
          port.drain((e) => (e ? reject(new TransportError('TRANSPORT_WRITE', `draining ${options.path} failed: ${e.message}`, context)) : resolve()));
        });
      });

    return {
      stream: port,
      async send(bytes: Buffer): Promise<void> {
        const lineMs = lineTimeMs(bytes.length, options.baudRate);
        const started = performance.now();
        // Timers fire no earlier than asked and about a millisecond late: asking for the whole
        // milliseconds puts the peer's last byte closest to the true line time.
        if (emulate) await delay(Math.floor(lineMs));
        await bounded(writeAndDrain(bytes), writeTimeoutMs + lineMs, `writing ${bytes.length} bytes to ${options.path}`, context);
        if (!emulate) await delay(started + lineMs - performance.now());
      },
      close: () =>
        new Promise<void>((resolve) => {
          if (!port.isOpen) return resolve();
          port.close(() => resolve());
        }),
    } satisfies ByteLink;
  };
}
