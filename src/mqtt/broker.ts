// The embedded MQTT broker (aedes) on loopback, used when no external broker URL is configured,
// so a single daemon needs nothing else to accept concentrators.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  url: string;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(host: string, port: number): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `mqtt://${host}:${address.port}`,
    close: () =>
      // aedes closes its clients first; then the listening socket can close.
      new Promise<void>((resolve) => broker.close(() => server.close(() => resolve()))),
  };
}
