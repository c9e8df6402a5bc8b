// TCP transport for DTUs / serial servers (透传): the RS-485 bytes travel unchanged over a socket.
import { connect, type Socket } from 'node:net';
import { TransportError, type ByteLink, type TransportFactory } from './types.js';

export interface TcpOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
}

export function tcpTransport(options: TcpOptions): TransportFactory {
  return async () => {
    const socket: Socket = await new Promise((resolve, reject) => {
      const s = connect({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new TransportError('TRANSPORT_OPEN', `connecting to DTU ${options.host}:${options.port} timed out`, { ...options }));
      }, options.connectTimeoutMs ?? 5000);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new TransportError('TRANSPORT_OPEN', `cannot connect to DTU ${options.host}:${options.port}: ${err.message}`, { ...options }));
      });
    });
    socket.setNoDelay(true);
    return {
      stream: socket,
      drain: () => (socket.writableNeedDrain ? new Promise<void>((resolve) => socket.once('drain', () => resolve())) : Promise.resolve()),
      close: () =>
        new Promise<void>((resolve) => {
          if (socket.destroyed) return resolve();
          socket.once('close', () => resolve());
          socket.end();
          setTimeout(() => socket.destroy(), 500).unref();
        }),
    } satisfies ByteLink;
  };
}
