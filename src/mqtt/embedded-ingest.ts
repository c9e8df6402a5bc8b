// Readings through the embedded broker: the ingest sits inside the broker's publish path, so the
// PUBACK a concentrator receives is written only after its readings are committed.
//
//   concentrator ─PUBLISH─▶ aedes: publish gate ─▶ IngestPipeline.submit … commit
//                                   ◀── callback ◀──────────────────────────┘
//               ◀─PUBACK── aedes (then forwards the message to subscribers, if any)
//
// The embedded broker keeps messages in memory only; taking the readings in its publish path (and
// not through a client subscription) is what makes "acknowledged ⇒ committed" hold across a
// crash of the daemon that hosts it. While a connection's messages wait for their commit, aedes
// reads nothing more from that connection (it reads a connection's next chunk only when every
// packet of the previous one is handled), and the flow control (flow-control.ts) decides which
// connections are read at all, so that the messages held are acknowledged within its bound.
import type { EmbeddedBroker } from './broker.js';
import type { Topics } from './topics.js';
import type { IngestPipeline } from './ingest.js';
import type { ReadingsFlowControl } from './flow-control.js';

/**
 * Routes readings publishes into the pipeline; other publishes pass. Stays in place until the
 * broker closes: a readings message taken after the pipeline stopped is never acknowledged, so
 * its concentrator sends it again to the next start.
 */
export function attachEmbeddedIngest(broker: EmbeddedBroker, topics: Topics, pipeline: IngestPipeline, flow: ReadingsFlowControl | null = null): void {
  broker.setPublishGate((client, packet, callback) => {
    const route = topics.parse(packet.topic);
    if (!route || route.kind !== 'readings') {
      callback(null);
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    let release: (() => void) | null = null;
    const readings = pipeline.submit(packet.topic, route.concentratorId, payload, () => {
      callback(null);
      release?.();
    });
    // The pipeline acknowledges after a commit, never within submit(): release is set by then.
    if (flow && readings > 0) release = flow.taken(client, readings);
  });
}
