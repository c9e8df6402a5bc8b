// TCP transport for DTUs / serial servers (透传): the RS-485 bytes travel unchanged over a socket.
//
//   send(bytes) ─▶ socket.write ─▶ flushed to the kernel ─▶ wait out the line time behind the DTU ─▶ resolve
//
// The socket cannot tell when the DTU has shifted the bytes out onto RS-485, so `send` resolves
// no earlier than the request's line time at the DTU's baud rate. A dropped connection shows as
// 'close' on the stream; reconnecting is the bus's business. TCP keep-alive finds a peer that
// vanished without a FIN (a cellular DTU losing coverage).
import { connect, type Socket } from 'node:net';
import { TransportError, bounded, delay, lineTimeMs, type ByteLink, type TransportFactory } from './types.js';

export interface TcpOptions {
  host: string;
  port: number;
  /** Line rate behind the DTU; when given, `send` waits out the request's line time. */
  baudRate?: number;
  /** Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Idle time before TCP keep-alive probes start, ms. Default 30 000. */
  keepAliveMs?: number;
  /** Bound on one write reaching the kernel, ms. Default 5000. */
  writeTimeoutMs?: number;
}

export function tcpTransport(options: TcpOptions): TransportFactory {
  const where = `${options.host}:${options.port}`;
  const context = { host: options.host, port: options.port };
  return async () => {
    const socket: Socket = await new Promise((resolve, reject) => {
      const s = connect({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new TransportError('TRANSPORT_OPEN', `connecting to DTU ${where} timed out`, context));
      }, options.connectTimeoutMs ?? 5000);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        // 'close' always follows 'error' on a socket; the bus acts on 'close'.
        s.on('error', () => {});
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        s.destroy();
        reject(new TransportError('TRANSPORT_OPEN', `cannot connect to DTU ${where}: ${err.message}`, context));
      });
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, options.keepAliveMs ?? 30_000);
    const write = (bytes: Buffer) =>
      new Promise<void>((resolve, reject) => {
        if (socket.destroyed || !socket.writable) return reject(new TransportError('TRANSPORT_CLOSED', `connection to DTU ${where} is closed`, context));
        socket.write(bytes, (err) => (err ? reject(new TransportError('TRANSPORT_WRITE', `writing to DTU ${where} failed: ${err.message}`, context)) : resolve()));
      });
    return {
      stream: socket,
      async send(bytes: Buffer): Promise<void> {
        const started = performance.now();
        await bounded(write(bytes), options.writeTimeoutMs ?? 5000, `writing ${bytes.length} bytes to DTU ${where}`, context);
        if (options.baudRate) await delay(started + lineTimeMs(bytes.length, options.baudRate) - performance.now());
      },
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
