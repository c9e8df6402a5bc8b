// Builds the object graph once, explicitly, and starts it in order:
// database + migrations → MQTT broker → buses, command lifecycle, engine, bus leases → HTTP.
// A bus is polled and its relay commands run only while this daemon holds its lease (several
// daemons may share one database; alone, a daemon takes every lease at start).
// Stops in reverse within the shutdown timeout: stop intake, let in-flight work finish or stay
// queued in the database for the next start, release the bus leases, close the database.
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { openConfiguredDatabase, describeDatabase } from './db/open.js';
import { Checkpointer } from './db/checkpointer.js';
import { SQLITE_WAL_AUTOCHECKPOINT_PAGES, type Sqlite } from './db/connection.js';
import { createRepositories, type Repositories } from './db/repo/index.js';
import { EventBus } from './events.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { EmbeddedBroker } from './mqtt/broker.js';
import { readMqttFiles, startGuardedBroker } from './mqtt/embedded-setup.js';
import { MqttService } from './mqtt/service.js';
import { Bus } from './polling/bus.js';
import { Dlt645Driver } from './polling/dlt645-driver.js';
import { BusPoller } from './polling/poller.js';
import { Dlt645Reader } from './polling/dlt645-reader.js';
import { Collection } from './polling/collection.js';
import { TimeSync } from './polling/time-sync.js';
import type { MeterReader } from './polling/meter-reader.js';
import { serialTransport } from '../protocols/transports/serial.js';
import { tcpTransport } from '../protocols/transports/tcp.js';
import { CommandService } from './commands/service.js';
import { Dlt645Executor, type MeterSecurity } from './commands/dlt645-executor.js';
import { EsamControl } from './commands/esam-control.js';
import { createConfiguredSecurityModule, securityModuleSource } from './security/from-config.js';
import { registerSecurityModuleMetrics } from './security/metrics.js';
import { ModbusExecutor } from './commands/modbus-executor.js';
import { ModbusMeters, ModbusReader, createModbusLines } from './polling/modbus-reader.js';
import { RegisterMaps, registerMapsDirectory } from './registermaps.js';
import { Profiles, profilesDirectory } from './profiles.js';
import { showsRelayState } from '../protocols/dlt645/index.js';
import { Engine } from './engine/reconciler.js';
import { buildHttp } from './http/app.js';
import { checkListenable, httpListener, listenError, mqttListener } from './listen-errors.js';
import { buildOpsHttp } from './http/ops.js';
import { httpsOptions } from './http/hardening.js';
import type { HttpServices } from './http/services.js';
import { WebhookTargets, type OwnEndpoint } from './notify/targets.js';
import { loadSeed } from './seed.js';
import { WebhookDispatcher } from './notify/dispatcher.js';
import { LevelsRefresher } from './ledger/levels.js';
import { LeaseKeeper, defaultNodeId } from './cluster/leases.js';
import { BusOwnership, type BusParts } from './cluster/bus-ownership.js';

/** The lease of the engine's periodic sweep, in the lease table beside the buses'. */
export const SWEEP_LEASE = 'engine:sweep';
export const WEBHOOK_LEASE = 'notify:webhooks';

export interface Daemon {
  config: Config;
  repos: Repositories;
  metrics: Metrics;
  events: EventBus;
  engine: Engine;
  commands: CommandService;
  mqtt: MqttService;
  buses: Map<string, Bus>;
  pollers: Map<string, BusPoller>;
  /** on-demand reads and collection figures, by bus */
  collection: Collection;
  /** this daemon's bus leases */
  leases: LeaseKeeper;
  http: FastifyInstance;
  /** http://host:port (https:// with http.tls) */
  httpUrl: string;
  /** the ops listener's http://host:port (metrics, docs, probes), when http.ops is set */
  opsUrl: string | null;
  mqttUrl: string;
  /** the embedded broker's mqtts listener, when configured */
  mqttTlsUrl: string | null;
  stop(): Promise<void>;
}

/** A host as it goes in a URL: an IPv6 address in brackets. */
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** How often the checkpoint worker copies the WAL into the SQLite database file. */
const CHECKPOINT_INTERVAL_MS = 1000;

export async function startDaemon(config: Config, logger: Logger, now: () => number = Date.now): Promise<Daemon> {
  // Register maps are validated before anything opens: a bad map stops start-up naming file and key.
  const registerMaps = RegisterMaps.load(registerMapsDirectory(config.modbus.registerMapsDir));
  // A taken HTTP port stops start-up before the database opens or a bus starts (src/listen-errors.ts).
  await checkListenable(httpListener(config.http));
  // So are the HTTPS certificate files and the webhooks' allowed networks.
  httpsOptions(config.http);
  // Webhooks never target this daemon's own listeners (their ports are known once listening).
  const ownEndpoints: OwnEndpoint[] = [];
  const webhookTargets = new WebhookTargets(config.webhooks.allowedNetworks, () => ownEndpoints);
  // So are the DL/T 645 reading profiles: one naming an unknown DI stops start-up naming it.
  const profiles = Profiles.load(profilesDirectory(config.polling.profilesDir));
  // So are the MQTT certificate files (a bad path names its key).
  const mqttFiles = readMqttFiles(config);
  // So is the security module: the software one refuses NODE_ENV=production unless allowed.
  const securityModule = createConfiguredSecurityModule(config.security, process.env.NODE_ENV, logger.child({ component: 'security' }));
  const db = openConfiguredDatabase(config);
  logger.info(describeDatabase(config), 'database open, migrations applied');
  const repos = createRepositories(db);
  if (config.seedFile) loadSeed(repos, config, config.seedFile, now());
  // On SQLite, WAL checkpoints run on a worker thread, off the event loop.
  const checkpointer = db.dialect === 'sqlite'
    ? new Checkpointer(db as Sqlite, logger.child({ component: 'checkpoint' }), { pages: SQLITE_WAL_AUTOCHECKPOINT_PAGES, intervalMs: CHECKPOINT_INTERVAL_MS })
    : null;
  checkpointer?.start();

  const events = new EventBus(logger);
  const metrics = createMetrics();
  registerSecurityModuleMetrics(metrics.registry, securityModuleSource(securityModule));
  const leases = new LeaseKeeper(repos.leases, {
    nodeId: config.cluster.nodeId ?? defaultNodeId(), leaseMs: config.cluster.leaseMs, busIds: config.buses.map((b) => b.id), now,
  }, logger.child({ component: 'leases' }));
  metrics.watchLeases(leases);
  // The engine's periodic sweep and the webhook deliveries each run in one daemon at a time: the
  // holder of their lease (names no bus id can take: bus ids have no colon). Evaluations on events
  // run in every daemon.
  const roleLeases = new LeaseKeeper(repos.leases, {
    nodeId: leases.nodeId, leaseMs: config.cluster.leaseMs, busIds: [SWEEP_LEASE, WEBHOOK_LEASE], now,
  }, logger.child({ component: 'role-leases' }));
  logger.info({ nodeId: leases.nodeId, leaseMs: leases.leaseMs }, 'cluster node');

  let broker: EmbeddedBroker | null = null;
  let mqttUrl = config.mqtt.url ?? '';
  let daemonSecret: string | null = null;
  if (!config.mqtt.url) {
    try {
      ({ broker, daemonSecret } = await startGuardedBroker(config, mqttFiles.tls, repos, events, metrics, logger.child({ component: 'mqtt' })));
    } catch (err) {
      await checkpointer?.stop();
      db.close();
      throw listenError(err, mqttListener(config.mqtt));
    }
    mqttUrl = broker.url;
    logger.info({ url: mqttUrl, tls: broker.tlsUrl }, 'embedded MQTT broker listening');
  }
  const mqtt = new MqttService({
    config, repos, events, metrics, logger: logger.child({ component: 'mqtt' }), now, url: mqttUrl, embedded: broker,
    credentials: daemonSecret ? { password: daemonSecret } : { username: config.mqtt.username, password: config.mqtt.password, ca: mqttFiles.ca },
  });

  const buses = new Map<string, Bus>();
  const drivers = new Map<string, Dlt645Driver>();
  const p = config.polling;
  for (const b of config.buses) {
    if (b.kind === 'modbus-tcp') continue; // a Modbus TCP endpoint has its own client (createModbusLines)
    const transport = b.kind === 'serial'
      ? serialTransport({ path: b.path, baudRate: b.baudRate, parity: b.parity })
      : tcpTransport({ host: b.host, port: b.port, baudRate: b.baudRate });
    const bus = new Bus(b.id, b.baudRate, transport, (err) => logger.error({ err, bus: b.id }, 'bus link error'), {
      latencyMs: b.kind === 'serial' ? p.serialLatencyMs : p.dtuLatencyMs, interByteTimeoutMs: p.interByteTimeoutMs,
      reconnectMinMs: p.reconnectMinMs, reconnectMaxMs: Math.max(p.reconnectMinMs, p.reconnectMaxMs), linkWaitMs: p.linkWaitMs,
    });
    buses.set(b.id, bus);
    metrics.watchBus(bus);
    drivers.set(b.id, new Dlt645Driver(bus, {
      responseDelayMaxMs: config.polling.responseDelayMaxMs, retries: config.polling.retries, utcOffsetMinutes: config.utcOffsetMinutes,
    }));
  }

  const modbusLines = createModbusLines(config, buses);
  const modbusMeters = new ModbusMeters(modbusLines, registerMaps, p.retries);
  const modbusExecutor = new ModbusExecutor(modbusMeters);
  const dlt645Readers = new Map<string, Dlt645Reader>();
  const busDlt645 = (busId: string | null) => {
    const bus = config.buses.find((b) => b.id === busId);
    return bus && bus.kind !== 'modbus-tcp' ? bus.dlt645 : undefined;
  };
  const dlt645Executor = new Dlt645Executor((id) => drivers.get(id), {
    // The meter's own security mode and key version over its bus's; plaintext by default.
    security: (meter): MeterSecurity => repos.meterSecurity.get(meter.id) ?? busDlt645(meter.busId)?.security ?? { mode: 'plaintext', keyVersion: 0 },
    ...(securityModule ? { esam: new EsamControl(securityModule) } : {}),
    showsRelay: (meter) => {
      const reader = meter.busId ? dlt645Readers.get(meter.busId) : undefined;
      return reader ? showsRelayState(reader.profileOf(meter)) : true;
    },
    // The meter's own credentials over its bus's; never logged.
    credentials: (meter) => {
      const own = meter.ownCredentials ? repos.meters.credentialsOf(meter.id) : undefined;
      const bus = busDlt645(meter.busId);
      const pick = <T>(a: T | null | undefined, b: T | undefined): T | undefined => a ?? b;
      return {
        passwordLevel: pick(own?.passwordLevel, bus?.passwordLevel), password: pick(own?.password, bus?.password), operatorCode: pick(own?.operatorCode, bus?.operatorCode),
      };
    },
  });
  const commands = new CommandService(repos, {
    dlt645: dlt645Executor, mqtt: mqtt.executor, 'modbus-rtu': modbusExecutor, 'modbus-tcp': modbusExecutor,
  }, events, metrics,
    logger.child({ component: 'commands' }), config.engine, now,
    (meter) => !meter.busId || !leases.covers(meter.busId) || leases.holds(meter.busId),
    (meter) => (meter.busId ? leases.fenceOf(meter.busId) : null));
  const engine = new Engine(repos, commands, events, metrics, logger.child({ component: 'engine' }), config, now);
  engine.calendar.applyConfigured();
  metrics.watchCalendar(() => engine.calendar.coverage());
  // Readers by protocol on each bus; protocols sharing a line share its queue.
  const readers = new Map<string, Map<string, MeterReader>>();
  for (const [id, driver] of drivers) {
    const reader = new Dlt645Reader(driver, {
      readTou: p.readTou, profiles, busProfile: busDlt645(id)?.profile,
      missedRetryMs: p.missedRetryMs, backfillDaysMax: p.backfillDaysMax, utcOffsetMinutes: config.utcOffsetMinutes, now,
    });
    dlt645Readers.set(id, reader);
    readers.set(id, new Map([['dlt645', reader]]));
  }
  const modbusReader = new ModbusReader(modbusMeters);
  for (const [id, line] of modbusLines) readers.set(id, new Map([...(readers.get(id) ?? []), [line.protocol, modbusReader]]));
  const pollers = new Map<string, BusPoller>();
  const timeSyncs: TimeSync[] = [];
  const parts = new Map<string, BusParts>();
  const pollerOptions = (id: string) => ({
    ...p, utcOffsetMinutes: config.utcOffsetMinutes, held: () => leases.holds(id),
    extras: { liveValuesKept: p.liveValuesKept, dailyFrozen: p.dailyFrozen, eventsIntervalMs: p.eventsIntervalMs },
  });
  for (const [id, driver] of drivers) {
    const poller = new BusPoller(id, readers.get(id)!, repos, events, metrics, logger.child({ component: 'poller', bus: id }), pollerOptions(id), now);
    pollers.set(id, poller);
    metrics.watchPoller(poller);
    const hasDlt645 = () => repos.meters.onBus(id).some((m) => m.protocol === 'dlt645');
    const timeSync = new TimeSync(id, driver, hasDlt645, logger.child({ component: 'time-sync', bus: id }), { intervalMs: p.timeSyncIntervalMs });
    timeSyncs.push(timeSync);
    metrics.watchTimeSync(timeSync);
    parts.set(id, { bus: buses.get(id), poller, timeSync });
  }
  for (const id of modbusLines.keys()) {
    if (pollers.has(id)) continue; // a Modbus TCP endpoint: polled like a bus, without DL/T 645 time sync
    const poller = new BusPoller(id, readers.get(id)!, repos, events, metrics, logger.child({ component: 'poller', bus: id }), pollerOptions(id), now);
    pollers.set(id, poller);
    metrics.watchPoller(poller);
    parts.set(id, { poller });
  }
  const ownership = new BusOwnership(parts, commands, logger.child({ component: 'bus-ownership' }), { commandPickupMs: config.cluster.commandPickupMs });
  const collection = new Collection(pollers, repos, now);
  const webhooks = new WebhookDispatcher(repos, config.webhooks, logger.child({ component: 'webhooks' }), now, webhookTargets);
  webhooks.onResult = (result) => metrics.webhookDeliveriesTotal.inc({ result });
  webhooks.onEvent = (id, type) => events.emit('event-recorded', id, type);
  webhooks.onRefused = () => metrics.webhookTargetsRefusedTotal.inc({ stage: 'delivery' });
  metrics.watchWebhookLag(() => (roleLeases.holds(WEBHOOK_LEASE) ? webhooks.lagSeconds() : []));
  const levels = new LevelsRefresher(repos, config, logger.child({ component: 'levels' }), now);

  let accepting = true;
  const httpServices: HttpServices = {
    repos, config, engine, commands, metrics, events, collection, now, webhooks, webhookTargets,
    ready: () => ({ ready: accepting, checks: { database: db.open, accepting }, warnings: engine.calendar.notices().map((n) => n.message) }),
  };
  const http = await buildHttp(httpServices, logger);
  await http.ready();
  const ops = config.http.ops ? await buildOpsHttp(httpServices, logger, http) : null;

  await mqtt.start();
  commands.resumeAll(); // commands of concentrators and of unconfigured buses; a bus's own come with its lease
  roleLeases.start({
    onAcquired: (id) => logger.info({ nodeId: roleLeases.nodeId, lease: id }, id === SWEEP_LEASE ? 'this daemon runs the engine sweep' : 'this daemon delivers webhooks'),
    onLost: (id, why) => logger.warn({ why, lease: id }, 'lease lost: another daemon takes over its work'),
  });
  engine.setSweepGate(() => roleLeases.holds(SWEEP_LEASE));
  webhooks.setGate(() => roleLeases.holds(WEBHOOK_LEASE));
  engine.start();
  webhooks.start();
  levels.start();
  // Takes every bus lease it can now; each bus taken opens, is polled and runs its commands.
  leases.start({ onAcquired: (id) => ownership.acquired(id), onLost: (id, why) => ownership.lost(id, why) });
  ownership.start(() => leases.heldBusIds());

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      accepting = false;
      logger.info('stopping: intake closed');
      engine.stop();
      await ownership.stop();
      for (const t of timeSyncs) t.stop();
      for (const bus of buses.values()) bus.cancelQueued('poll');
      await Promise.all([...pollers.values()].map((poller) => poller.stop()));
      await mqtt.stop();
      await commands.stop();
      await http.close();
      await ops?.close();
      levels.stop();
      await webhooks.stop();
      await Promise.all([...buses.values()].map((b) => b.close()));
      await Promise.all([...modbusLines.values()].map((l) => l.close()));
      leases.stop(); // the buses are closed: another daemon may take them at once
      roleLeases.stop();
      await broker?.close();
      await securityModule?.close();
      events.removeAll();
      await checkpointer?.stop();
      db.close();
      logger.info('stopped');
    })();
    return stopping;
  };

  try {
    await http.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    // Lost the port since the check at start: stop what started, say which setting to change.
    await stop();
    throw listenError(err, httpListener(config.http));
  }
  const address = http.server.address();
  const scheme = config.http.tls ? 'https' : 'http';
  const httpUrl = typeof address === 'object' && address ? `${scheme}://${urlHost(config.http.host)}:${address.port}` : `${scheme}://${urlHost(config.http.host)}:${config.http.port}`;
  if (typeof address === 'object' && address) ownEndpoints.push({ address: address.address, port: address.port });
  logger.info({ url: httpUrl, tls: config.http.tls !== undefined }, 'HTTP API listening');
  let opsUrl: string | null = null;
  if (ops && config.http.ops) {
    try {
      await ops.listen({ host: config.http.ops.host, port: config.http.ops.port });
    } catch (err) {
      await stop();
      throw listenError(err, {
        what: 'ops listener (metrics, docs, probes)', host: config.http.ops.host, port: config.http.ops.port,
        portKey: 'http.ops.port', portEnv: 'FEIKONG_HTTP__OPS__PORT', hostKey: 'http.ops.host', hostEnv: 'FEIKONG_HTTP__OPS__HOST',
      });
    }
    const opsAddress = ops.server.address();
    const port = typeof opsAddress === 'object' && opsAddress ? opsAddress.port : config.http.ops.port;
    if (typeof opsAddress === 'object' && opsAddress) ownEndpoints.push({ address: opsAddress.address, port });
    opsUrl = `http://${urlHost(config.http.ops.host)}:${port}`;
    logger.info({ url: opsUrl }, 'ops listener (metrics, docs, probes) listening');
  }

  return { config, repos, metrics, events, engine, commands, mqtt, buses, pollers, collection, leases, http, httpUrl, opsUrl, mqttUrl, mqttTlsUrl: broker?.tlsUrl ?? null, stop };
}
