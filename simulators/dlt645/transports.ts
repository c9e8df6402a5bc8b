// Where a simulated bus meets the head-end: one end of a pseudo-terminal pair, a real serial port,
// or a TCP listener playing a DTU (transparent serial server). Each yields "links" — byte pipes
// the bus reads requests from and writes replies to — so the bus logic is the same on all three.
//
//   pty:    bus ⇄ SerialPort(<dir>/a) ⇄ socat ⇄ <dir>/b ⇄ head-end
//   serial: bus ⇄ SerialPort(path, 8E1) ⇄ RS-485 ⇄ head-end
//   tcp:    bus ⇄ net.Socket ⇄ head-end (connects to the DTU's port)
import { createServer, type Server, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { createPtyPair, serialOpenOptionsFor } from '../pty.js';

export type SimTransport =
  | { kind: 'pty' }
  | { kind: 'serial'; path: string }
  | { kind: 'tcp'; host?: '127.0.0.1'; port?: number };

/** A byte pipe to the head-end. */
export interface SimLink {
  readonly name: string;
  write(chunk: Buffer): Promise<void>;
}

export interface SimEndpoint {
  /** The device the head-end must open (pty: the other end of the pair; serial: the port itself). */
  devicePath?: string;
  /** TCP port the head-end connects to. */
  port?: number;
  close(): Promise<void>;
}

export interface LinkHandlers {
  onLink(link: SimLink): void;
  onData(link: SimLink, chunk: Buffer): void;
  onLinkClosed(link: SimLink): void;
  onError(error: Error): void;
}

/** Bound on opening and closing a port or socket. */
const IO_TIMEOUT_MS = 5_000;

export async function openEndpoint(
  transport: SimTransport,
  baudRate: number,
  handlers: LinkHandlers,
): Promise<SimEndpoint> {
  switch (transport.kind) {
    case 'pty': {
      const pair = await createPtyPair();
      try {
        const port = await openSerial(pair.a, baudRate, handlers);
        return {
          devicePath: pair.b,
          close: async () => {
            await port.close();
            await pair.close();
          },
        };
      } catch (error) {
        await pair.close();
        throw error;
      }
    }
    case 'serial': {
      const port = await openSerial(transport.path, baudRate, handlers);
      return { devicePath: transport.path, close: () => port.close() };
    }
    case 'tcp':
      return listenTcp(transport.host ?? '127.0.0.1', transport.port ?? 0, handlers);
  }
}

async function openSerial(
  path: string,
  baudRate: number,
  handlers: LinkHandlers,
): Promise<{ close(): Promise<void> }> {
  const port = new SerialPort({ ...(await serialOpenOptionsFor(path, baudRate)), autoOpen: false });
  await withTimeout(
    new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve()))),
    `opening ${path}`,
  );
  const link: SimLink = {
    name: path,
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        port.write(chunk, (error) => (error ? reject(error) : resolve()));
      }),
  };
  port.on('data', (chunk: Buffer) => handlers.onData(link, chunk));
  port.on('error', (error) => handlers.onError(error));
  handlers.onLink(link);
  return {
    close: async () => {
      if (!port.isOpen) return;
      await withTimeout(
        new Promise<void>((resolve) => port.close(() => resolve())),
        `closing ${path}`,
      );
      handlers.onLinkClosed(link);
    },
  };
}

async function listenTcp(host: string, port: number, handlers: LinkHandlers): Promise<SimEndpoint> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const link: SimLink = {
      name: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
      write: (chunk) =>
        new Promise<void>((resolve, reject) => {
          if (socket.destroyed) return reject(new Error(`connection ${link.name} is closed`));
          socket.write(chunk, (error) => (error ? reject(error) : resolve()));
        }),
    };
    socket.on('data', (chunk) => handlers.onData(link, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      handlers.onLinkClosed(link);
    });
    handlers.onLink(link);
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    }),
    `listening on ${host}:${port}`,
  );
  server.on('error', (error) => handlers.onError(error));
  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  return {
    port: boundPort,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await withTimeout(
        new Promise<void>((resolve) => server.close(() => resolve())),
        `closing ${host}:${boundPort}`,
      );
    },
  };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${IO_TIMEOUT_MS} ms ${what}`)), IO_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
