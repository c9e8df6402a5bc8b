// The concentrator side of the daemon, built once in src/daemon.ts: readings ingest (inside the
// embedded broker, or subscriber connections to an external one), the control connection for
// commands, acks and status, concentrator status, and the relay executor for protocol 'mqtt'.
//
//   start: pending readings an earlier run left are charged; readings ingest and control connection (acks, status), each waiting a bounded time for the broker
//   stop:  ingest commits and acknowledges what it holds, takes no more → pending readings charged
//          → executor → connections
import { hostname } from 'node:os';
import type { EmbeddedBroker } from './broker.js';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import type { Repositories } from '../db/repo/index.js';
import type { EventBus } from '../events.js';
import type { Metrics } from '../metrics.js';
import { MqttExecutor, type CommandMessage } from '../commands/mqtt-executor.js';
import { Topics, type UplinkKind } from './topics.js';
import { IngestPipeline } from './ingest.js';
import { PendingCharging } from '../ledger/pending-charging.js';
import { attachEmbeddedIngest } from './embedded-ingest.js';
import { ReadingsFlowControl } from './flow-control.js';
import { AfterBurstCollector } from './after-burst.js';
import { SubscriberIngest } from './subscriber-ingest.js';
import { ControlConnection } from './control.js';
import { ConcentratorStatus } from './status.js';
import { decodeAck, decodeStatus, isRejection } from './payload.js';
import { clientAuthOptions, type MqttClientCredentials } from './client-auth.js';

export interface MqttServiceDeps {
  config: Config;
  repos: Repositories;
  events: EventBus;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  /** broker URL the daemon connects to (the embedded one's when `embedded` is given) */
  url: string;
  /** the embedded broker, when no external one is configured */
  embedded: EmbeddedBroker | null;
  /** the daemon's credentials at the broker; no user name: each connection's client id */
  credentials: MqttClientCredentials;
}

/** How long start() waits for a broker before going on (it keeps reconnecting afterwards). */
const SUBSCRIBE_WAIT_MS = 10_000;
/** Bound on closing the connections at stop. */
const CLOSE_TIMEOUT_MS = 3000;

export function clientIdStem(configured: string | undefined): string {
  return configured ?? `feikong-${hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40)}`;
}

export class MqttService {
  readonly topics: Topics;
  readonly pipeline: IngestPipeline;
  readonly charging: PendingCharging;
  readonly status: ConcentratorStatus;
  readonly executor: MqttExecutor;
  private readonly control: ControlConnection;
  private readonly subscribers: SubscriberIngest | null;
  private flow: ReadingsFlowControl | null = null;
  private readonly afterBurst: AfterBurstCollector;
  private readonly offCharged: () => void;
  private stopped = false;

  constructor(private readonly deps: MqttServiceDeps) {
    const { config, repos, events, metrics, logger, now } = deps;
    const m = config.mqtt;
    if (!deps.embedded && m.ingest.connections > 1 && !m.sharedGroup) {
      throw new ConfigError('configuration key "mqtt.ingest.connections": more than 1 connection needs mqtt.sharedGroup (a shared subscription), or every connection would receive every reading', 'mqtt.ingest.connections');
    }
    const stem = clientIdStem(m.clientId);
    this.topics = new Topics(m.topicPrefix);
    this.charging = new PendingCharging(repos, events, metrics, logger.child({ component: 'charging' }), {
      delayMs: m.ingest.chargeDelayMs, batchReadings: m.ingest.chargeBatchReadings, transactionMs: m.ingest.chargeTransactionMs, maxPending: m.ingest.maxPendingReadings, utcOffsetMinutes: config.utcOffsetMinutes,
    }, (cid) => (cid === null ? null : this.topics.readings(cid)), now);
    this.pipeline = new IngestPipeline(repos, this.charging, metrics, logger.child({ component: 'mqtt-ingest' }), { ...m.ingest, liveValuesKept: config.polling.liveValuesKept }, now);
    this.afterBurst = new AfterBurstCollector({ afterReadings: m.ingest.collectAfterReadings, quietMs: m.ingest.collectQuietMs }, logger.child({ component: 'mqtt-ingest' }));
    this.pipeline.onCommitted((n) => this.afterBurst.committed(n));
    this.status = new ConcentratorStatus(repos, logger.child({ component: 'concentrators' }), now);
    const auth = clientAuthOptions(deps.credentials);
    this.control = new ControlConnection({
      url: deps.url, clientId: `${stem}-control`, auth, protocolVersion: deps.embedded ? 4 : 5, sessionExpirySec: m.sessionExpirySec,
      keepaliveSec: m.keepaliveSec, reconnectMs: m.reconnectMs, publishTimeoutMs: m.publishTimeoutMs, subscribeWaitMs: SUBSCRIBE_WAIT_MS,
    }, this.topics, (kind, cid, topic, payload) => this.uplink(kind, cid, topic, payload), logger.child({ component: 'mqtt-control' }));
    this.executor = new MqttExecutor({
      publish: (cid: string, message: CommandMessage) => this.control.publish(this.topics.commands(cid), JSON.stringify(message)),
      isOnline: (cid) => this.status.isOnline(cid),
      waitOnline: (cid, until, signal) => this.status.waitOnline(cid, until, signal),
    }, repos, events, { readBackTimeoutMs: m.readBackTimeoutMs },
    (commandId, err) => logger.warn({ commandId, err: err.message }, 'command publish failed; waiting for the broker'), now);
    this.offCharged = this.charging.onCharged((readings) => this.executor.handleReadings(readings));
    this.status.onOnline((cid) => this.executor.republish(cid));
    this.control.onConnected(() => this.executor.republish());
    this.subscribers = deps.embedded ? null : new SubscriberIngest({
      url: deps.url, clientIdStem: stem, auth, connections: m.ingest.connections, sharedGroup: m.sharedGroup,
      inFlightWindow: m.ingest.inFlightWindow, sessionExpirySec: m.sessionExpirySec, keepaliveSec: m.keepaliveSec,
      reconnectMs: m.reconnectMs, subscribeWaitMs: SUBSCRIBE_WAIT_MS,
    }, this.topics, this.pipeline, logger.child({ component: 'mqtt-ingest' }));
  }

  /** How many times the control connection has connected (a takeover by another client would add one). */
  get controlConnects(): number {
    return this.control.connects;
  }

  async start(): Promise<void> {
    // The embedded broker's hook stays attached until the broker closes: a readings message it
    // took after stop() is never acknowledged, so the concentrator sends it again.
    this.charging.start();
    if (this.deps.embedded) {
      // The daemon's own connections (its control connection) are never held back.
      const stem = `${clientIdStem(this.deps.config.mqtt.clientId)}-`;
      this.flow = new ReadingsFlowControl(this.deps.embedded.aedes, this.deps.config.mqtt.ingest, this.deps.metrics, (id) => id.startsWith(stem));
      attachEmbeddedIngest(this.deps.embedded, this.topics, this.pipeline, this.flow);
    }
    await Promise.all([this.control.start(), this.subscribers?.start()]);
    this.deps.logger.info({ url: this.deps.url, prefix: this.topics.prefix, embedded: !!this.deps.embedded }, 'concentrator ingest started');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.pipeline.stop();
    this.flow?.stop();
    this.afterBurst.stop();
    this.charging.stop();
    this.offCharged();
    this.executor.stop();
    await Promise.all([this.subscribers?.stop(CLOSE_TIMEOUT_MS), this.control.stop(CLOSE_TIMEOUT_MS)]);
  }

  /** Acks and status, handled (and committed) before mqtt.js acknowledges them. */
  private uplink(kind: Exclude<UplinkKind, 'readings'>, concentratorId: string, topic: string, payload: Buffer): void {
    const { metrics, logger, repos, now } = this.deps;
    const decoded = kind === 'acks' ? decodeAck(payload) : decodeStatus(payload);
    if (isRejection(decoded)) {
      const reason = `${decoded.code}: ${decoded.detail}`;
      try {
        repos.transaction(() => repos.ingest.deadLetter('mqtt', topic, payload.toString('utf8', 0, 65_536), reason, now()));
      } catch (err) {
        logger.error({ err, topic }, 'dead letter not stored');
      }
      metrics.mqttMessagesTotal.inc({ kind, result: 'dead-letter' });
      metrics.deadLettersTotal.inc({ source: 'mqtt', reason: decoded.code });
      logger.warn({ topic, reason }, `${kind} message kept as a dead letter`);
      return;
    }
    try {
      if (typeof decoded === 'string') {
        this.status.update(concentratorId, decoded);
        metrics.mqttMessagesTotal.inc({ kind, result: decoded });
      } else {
        const known = this.executor.handleAck(concentratorId, decoded);
        metrics.mqttMessagesTotal.inc({ kind, result: known ? (decoded.ok ? 'ok' : 'refused') : 'unknown-command' });
        if (!known) logger.debug({ topic, id: decoded.id }, 'ack for no command waiting here');
      }
    } catch (err) {
      logger.error({ err, topic }, `${kind} message not handled`);
    }
  }
}
