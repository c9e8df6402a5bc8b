// The embedded MQTT broker (aedes, MQTT 3.1.1) on loopback, used when no external broker URL is
// configured, so a single daemon needs nothing else to accept concentrators. The ingest hooks
// into its publish path (embedded-ingest.ts) so a concentrator's PUBACK waits for the commit.
//
// Publishes that arrive before the ingest is attached (the broker listens early in start-up) are
// parked, unacknowledged, and handed to the gate once it is set: none is acknowledged unread.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes, type Client } from 'aedes';

type PublishGate = Aedes['authorizePublish'];

export interface EmbeddedBroker {
  url: string;
  aedes: Aedes;
  /** Decides (and acknowledges, by calling back) every client publish from now on, parked ones first. */
  setPublishGate(gate: PublishGate): void;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(host: string, port: number): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  let gate: PublishGate | null = null;
  const parked: Array<Parameters<PublishGate>> = [];
  broker.authorizePublish = (client: Client | null, packet, callback) => {
    if (gate) gate(client, packet, callback);
    else parked.push([client, packet, callback]);
  };
  // No Nagle: PUBACKs are small and latency-bound; delayed ACKs would hold each one for up to 40 ms.
  const server: Server = createServer({ noDelay: true }, broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `mqtt://${host}:${address.port}`,
    aedes: broker,
    setPublishGate(next) {
      gate = next;
      for (const args of parked.splice(0)) next(...args);
    },
    close: () =>
      // aedes closes its clients first; then the listening socket can close.
      new Promise<void>((resolve) => broker.close(() => server.close(() => resolve()))),
  };
}
