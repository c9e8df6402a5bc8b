// Serial-port transport (serialport 13). DL/T 645 lines run 8E1; pseudo-terminals refuse even
// parity with EINVAL, so parity 'auto' picks none on a pty and even on a real port.
import { realpathSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { TransportError, type ByteLink, type TransportFactory } from './types.js';

export interface SerialOptions {
  path: string;
  baudRate: number;
  parity: 'even' | 'none' | 'auto';
}

export function isPseudoTerminal(path: string): boolean {
  try {
    return realpathSync(path).startsWith('/dev/pts/');
  } catch {
    return false;
  }
}

export function serialTransport(options: SerialOptions): TransportFactory {
  return async () => {
    const parity = options.parity === 'auto' ? (isPseudoTerminal(options.path) ? 'none' : 'even') : options.parity;
    const port = new SerialPort({ path: options.path, baudRate: options.baudRate, dataBits: 8, stopBits: 1, parity, autoOpen: false });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(new TransportError('TRANSPORT_OPEN', `cannot open serial port ${options.path}: ${err.message}`, { path: options.path })) : resolve()));
    });
    return {
      stream: port,
      drain: () => new Promise<void>((resolve) => port.drain(() => resolve())),
      close: () =>
        new Promise<void>((resolve) => {
          if (!port.isOpen) return resolve();
          port.close(() => resolve());
        }),
    } satisfies ByteLink;
  };
}
