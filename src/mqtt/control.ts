// The daemon's control connection: publishes relay commands to concentrators and takes their acks
// and status. Every publish is bounded (mqtt.js's publishAsync waits forever while disconnected).
// Acks and status are not shared among daemons: each daemon sees every one (the command's sender
// is the one waiting for its ack) and acts on its own.
//
// Handlers run synchronously inside mqtt.js's 'message' event, before it writes the PUBACK, so an
// ack or status change is committed before it is acknowledged.
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Topics, UplinkKind } from './topics.js';
import type { ClientAuthOptions } from './client-auth.js';

export interface ControlOptions {
  url: string;
  clientId: string;
  /** user name, password and CA; the user name is the client id unless configured */
  auth: ClientAuthOptions;
  /** 5 for an external broker, 4 (3.1.1) for the embedded one */
  protocolVersion: 4 | 5;
  sessionExpirySec: number;
  keepaliveSec: number;
  reconnectMs: number;
  publishTimeoutMs: number;
  subscribeWaitMs: number;
}

export type UplinkHandler = (kind: Exclude<UplinkKind, 'readings'>, concentratorId: string, topic: string, payload: Buffer) => void;

export class PublishTimeoutError extends Error {
  readonly code = 'MQTT_PUBLISH_TIMEOUT';
}

export class ControlConnection {
  private client: MqttClient | null = null;
  private readonly reconnectListeners = new Set<() => void>();
  private connectCount = 0;

  constructor(
    private readonly options: ControlOptions,
    private readonly topics: Topics,
    private readonly onUplink: UplinkHandler,
    private readonly logger: Logger,
  ) {}

  /** Connections made so far (1 after start, one more per reconnection). */
  get connects(): number {
    return this.connectCount;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Called after every (re)connection, once subscribed. */
  onConnected(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  async start(): Promise<void> {
    const v5 = this.options.protocolVersion === 5;
    const client = mqtt.connect(this.options.url, {
      protocolVersion: this.options.protocolVersion,
      clientId: this.options.clientId,
      ...this.options.auth.forClient(this.options.clientId),
      clean: !v5,
      keepalive: this.options.keepaliveSec,
      reconnectPeriod: this.options.reconnectMs,
      resubscribe: false,
      ...(v5 ? { properties: { sessionExpiryInterval: this.options.sessionExpirySec } } : {}),
    });
    this.client = client;
    const filters = { [this.topics.filter('acks')]: { qos: 1 as const }, [this.topics.filter('status')]: { qos: 1 as const } };
    client.on('error', (err) => this.logger.warn({ err: err.message }, 'control connection error'));
    client.on('message', (topic, payload) => {
      const route = this.topics.parse(topic);
      if (!route || route.kind === 'readings') return;
      this.onUplink(route.kind, route.concentratorId, topic, payload);
    });
    const firstSubscription = new Promise<void>((resolve) => {
      client.on('connect', () => {
        this.connectCount++;
        client.subscribe(filters, (err) => {
          if (err) this.logger.error({ err: err.message }, 'acks/status subscription refused');
          resolve();
          for (const listener of this.reconnectListeners) listener();
        });
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([
      firstSubscription.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.subscribeWaitMs))),
    ]);
    clearTimeout(timer);
    if (!ok) this.logger.warn({ url: this.options.url }, 'broker not reachable yet; commands wait for it');
  }

  /** Publishes at QoS 1 and waits for the broker's PUBACK, at most publishTimeoutMs. */
  async publish(topic: string, payload: string): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('control connection not started');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.publishAsync(topic, payload, { qos: 1 }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new PublishTimeoutError(
            `publish to ${topic} not acknowledged by the broker within ${this.options.publishTimeoutMs} ms${client.connected ? '' : ' (disconnected)'}`,
          )), this.options.publishTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(timeoutMs: number): Promise<void> {
    const client = this.client;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.endAsync(false),
      new Promise<void>((resolve) => (timer = setTimeout(() => { client.end(true); resolve(); }, timeoutMs))),
    ]).finally(() => clearTimeout(timer));
  }
}
