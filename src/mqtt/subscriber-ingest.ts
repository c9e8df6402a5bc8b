// Readings through an external broker (Mosquitto, EMQX; MQTT 5): a pool of subscriber
// connections, each with a persistent session, delaying its PUBACK until the batch commits
// (mqtt.js `customHandleAcks`).
//
//   broker ─PUBLISH─▶ connection i: customHandleAcks(topic, message, packet, done)
//                        └─ IngestPipeline.submit(…, ack = () => done(null, 0)) … commit ─▶ PUBACK
//
// mqtt.js handles one incoming packet at a time: it reads no further packet of a connection until
// `done` is called. So one connection holds one message at a time, a batch gathers one message
// from each connection, and `mqtt.ingest.connections` (> 1 through a shared subscription) sets how
// many messages commit together. The broker sends each connection at most `inFlightWindow`
// unacknowledged messages (MQTT 5 receive maximum) and keeps the rest queued in the session, also
// while the daemon is down (`sessionExpirySec`).
//
// A PUBACK belongs to the connection that received the message: after a reconnect the packet id
// may name another message, so acks of an earlier connection are dropped (the broker redelivers
// that message; storing it again changes nothing).
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Topics } from './topics.js';
import type { IngestPipeline } from './ingest.js';
import type { ClientAuthOptions } from './client-auth.js';

export interface SubscriberOptions {
  url: string;
  clientIdStem: string;
  /** user name, password and CA; the user name is each connection's client id unless configured */
  auth: ClientAuthOptions;
  connections: number;
  /** '' for a plain subscription */
  sharedGroup: string;
  inFlightWindow: number;
  sessionExpirySec: number;
  keepaliveSec: number;
  reconnectMs: number;
  /** how long start() waits for the first subscription before going on without it */
  subscribeWaitMs: number;
}

/** MQTT 5 reason code "success" in a PUBACK. */
const PUBACK_SUCCESS = 0;

export class SubscriberIngest {
  private readonly clients: MqttClient[] = [];
  private readonly generation: number[] = [];

  constructor(
    private readonly options: SubscriberOptions,
    private readonly topics: Topics,
    private readonly pipeline: IngestPipeline,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const filter = this.topics.filter('readings', this.options.sharedGroup || undefined);
    const subscribed: Array<Promise<void>> = [];
    for (let i = 0; i < this.options.connections; i++) {
      this.generation[i] = 0;
      const clientId = `${this.options.clientIdStem}-readings-${i}`;
      const client = mqtt.connect(this.options.url, {
        protocolVersion: 5,
        clientId,
        ...this.options.auth.forClient(clientId),
        clean: false,
        keepalive: this.options.keepaliveSec,
        reconnectPeriod: this.options.reconnectMs,
        resubscribe: false,
        properties: { sessionExpiryInterval: this.options.sessionExpirySec, receiveMaximum: this.options.inFlightWindow },
        customHandleAcks: (topic, message, _packet, done) => {
          const route = this.topics.parse(topic);
          if (!route || route.kind !== 'readings') {
            done(PUBACK_SUCCESS);
            return;
          }
          const generation = this.generation[i];
          this.pipeline.submit(topic, route.concentratorId, message, () => {
            if (generation === this.generation[i] && client.connected) done(PUBACK_SUCCESS);
          });
        },
      });
      this.clients.push(client);
      client.on('close', () => {
        this.generation[i]!++;
      });
      client.on('error', (err) => this.logger.warn({ err: err.message, connection: i }, 'readings connection error'));
      subscribed.push(new Promise<void>((resolve) => {
        client.on('connect', (connack) => {
          if (this.options.sharedGroup && connack.properties?.sharedSubscriptionAvailable === false) {
            this.logger.error({ url: this.options.url }, 'the broker has no shared subscriptions: set mqtt.sharedGroup to "" and mqtt.ingest.connections to 1');
          }
          // A resumed session has its subscription already, and its backlog of readings arrives ahead
          // of any SUBACK; subscribing again is harmless and covers a lost subscription.
          if (connack.sessionPresent) resolve();
          client.subscribe(filter, { qos: 1 }, (err) => {
            if (err) this.logger.error({ err: err.message, filter }, 'readings subscription refused');
            else this.logger.info({ filter, connection: i, sessionPresent: connack.sessionPresent }, 'readings subscribed');
            resolve();
          });
        });
      }));
    }
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      Promise.all(subscribed).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.subscribeWaitMs))),
    ]);
    clearTimeout(timer);
    if (!waited) this.logger.warn({ url: this.options.url }, 'broker not reachable yet; readings will be taken once it is');
  }

  /** Closes the connections; messages not yet acknowledged stay in the broker's sessions. */
  async stop(timeoutMs: number): Promise<void> {
    await Promise.all(this.clients.map((c) => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        c.endAsync(false),
        new Promise<void>((resolve) => (timer = setTimeout(() => { c.end(true); resolve(); }, timeoutMs))),
      ]).finally(() => clearTimeout(timer));
    }));
  }
}
