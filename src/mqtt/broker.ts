// The embedded MQTT broker (aedes, MQTT 3.1.1), used when no external broker URL is configured,
// so a single daemon needs nothing else to accept concentrators. It listens on plain TCP
// (mqtt.embeddedHost:embeddedPort, loopback by default) and, when mqtt.tls is set, with TLS as
// well (mqtts). The guard (broker-guard.ts) authenticates every client and checks its topic
// rights; the ingest hooks into the publish path (embedded-ingest.ts) so a concentrator's PUBACK
// waits for the commit.
//
// Publishes that arrive before the ingest is attached (the broker listens early in start-up) are
// parked, unacknowledged, and handed to the gate once it is set: none is acknowledged unread.
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import type { BrokerGuard } from './broker-guard.js';

type PublishGate = Aedes['authorizePublish'];

export interface EmbeddedBroker {
  url: string;
  /** mqtts://host:port when the TLS listener is on, else null */
  tlsUrl: string | null;
  aedes: Aedes;
  /** the guard, when clients are authenticated (always, in the daemon) */
  guard: BrokerGuard | null;
  /** Decides (and acknowledges, by calling back) every client publish from now on, parked ones first. */
  setPublishGate(gate: PublishGate): void;
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  guard?: BrokerGuard | null;
  /** the mqtts listener: host, port and node:tls server options (certificate, key, client CA) */
  tls?: { host: string; port: number; options: TlsOptions } | null;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const guard = options.guard ?? null;
  let gate: PublishGate | null = null;
  const parked: Array<Parameters<PublishGate>> = [];
  guard?.attach(broker);
  broker.authorizePublish = (client: Client | null, packet, callback) => {
    if (guard && !guard.allowPublish(client, packet.topic)) {
      callback(new Error(`not authorized to publish to ${packet.topic}`));
      return;
    }
    if (gate) gate(client, packet, callback);
    else parked.push([client, packet, callback]);
  };
  // No Nagle: PUBACKs are small and latency-bound; delayed ACKs would hold each one for up to 40 ms.
  const servers: Server[] = [];
  const plain = createServer({ noDelay: true }, broker.handle);
  const port = await listen(plain, options.host, options.port);
  servers.push(plain);
  let tlsUrl: string | null = null;
  if (options.tls) {
    const secure = createTlsServer({ ...options.tls.options, noDelay: true }, broker.handle);
    try {
      tlsUrl = `mqtts://${options.tls.host}:${await listen(secure, options.tls.host, options.tls.port)}`;
    } catch (err) {
      await new Promise<void>((resolve) => broker.close(() => plain.close(() => resolve())));
      throw err;
    }
    servers.push(secure);
  }
  return {
    url: `mqtt://${options.host}:${port}`,
    tlsUrl,
    aedes: broker,
    guard,
    setPublishGate(next) {
      gate = next;
      for (const args of parked.splice(0)) next(...args);
    },
    close: () => {
      guard?.stop();
      // aedes closes its clients first; then the listening sockets can close.
      return new Promise<void>((resolve) => broker.close(() => {
        let open = servers.length;
        for (const s of servers) s.close(() => --open === 0 && resolve());
      }));
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
