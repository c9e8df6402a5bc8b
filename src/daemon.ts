// Builds the object graph once, explicitly (STYLE.md §10), and starts it in order:
// database + migrations → MQTT broker → buses, command lifecycle, engine, pollers → HTTP.
// Stops in reverse within the shutdown timeout: stop intake, let in-flight work finish or stay
// queued in the database for the next start, close the database.
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { openDatabase, type Sqlite } from './db/connection.js';
import { createRepositories, type Repositories } from './db/repo/index.js';
import { EventBus } from './events.js';
import { createMetrics, type Metrics } from './metrics.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './mqtt/broker.js';
import { Bus } from './polling/bus.js';
import { Dlt645Driver } from './polling/dlt645-driver.js';
import { BusPoller } from './polling/poller.js';
import { serialTransport } from '../protocols/transports/serial.js';
import { tcpTransport } from '../protocols/transports/tcp.js';
import { CommandService } from './commands/service.js';
import { Dlt645Executor } from './commands/dlt645-executor.js';
import { Engine } from './engine/reconciler.js';
import { buildHttp } from './http/app.js';
import { loadSeed } from './seed.js';

export interface Daemon {
  config: Config;
  repos: Repositories;
  metrics: Metrics;
  events: EventBus;
  engine: Engine;
  commands: CommandService;
  buses: Map<string, Bus>;
  pollers: Map<string, BusPoller>;
  http: FastifyInstance;
  /** http://host:port */
  httpUrl: string;
  mqttUrl: string;
  stop(): Promise<void>;
}

export async function startDaemon(config: Config, logger: Logger, now: () => number = Date.now): Promise<Daemon> {
  const db: Sqlite = openDatabase(config.dataDir);
  logger.info({ dataDir: config.dataDir }, 'database open, migrations applied');
  const repos = createRepositories(db);
  if (config.seedFile) loadSeed(repos, config, config.seedFile, now());

  const events = new EventBus(logger);
  const metrics = createMetrics();

  let broker: EmbeddedBroker | null = null;
  let mqttUrl = config.mqtt.url ?? '';
  if (!config.mqtt.url) {
    broker = await startEmbeddedBroker(config.mqtt.embeddedHost, config.mqtt.embeddedPort);
    mqttUrl = broker.url;
    logger.info({ url: mqttUrl }, 'embedded MQTT broker listening');
  }

  const buses = new Map<string, Bus>();
  const drivers = new Map<string, Dlt645Driver>();
  for (const b of config.buses) {
    const transport = b.kind === 'serial'
      ? serialTransport({ path: b.path, baudRate: b.baudRate, parity: b.parity })
      : tcpTransport({ host: b.host, port: b.port });
    const bus = new Bus(b.id, b.baudRate, transport, (err) => logger.error({ err, bus: b.id }, 'bus link error'));
    buses.set(b.id, bus);
    metrics.watchBus(bus);
    drivers.set(b.id, new Dlt645Driver(bus, {
      responseDelayMaxMs: config.polling.responseDelayMaxMs, retries: config.polling.retries, utcOffsetMinutes: config.utcOffsetMinutes,
    }));
  }

  const commands = new CommandService(repos, { dlt645: new Dlt645Executor((id) => drivers.get(id)) }, events, metrics,
    logger.child({ component: 'commands' }), config.engine, now);
  const engine = new Engine(repos, commands, events, metrics, logger.child({ component: 'engine' }), config, now);
  const pollers = new Map<string, BusPoller>();
  for (const [id, driver] of drivers) {
    pollers.set(id, new BusPoller(id, driver, repos, events, metrics, logger.child({ component: 'poller', bus: id }), config.polling, now));
  }

  let accepting = true;
  const http = await buildHttp({
    repos, config, engine, commands, metrics, events, now,
    ready: () => ({ ready: accepting, checks: { database: db.open, accepting } }),
  }, logger);

  commands.resumeAll();
  engine.start();
  for (const p of pollers.values()) p.start();
  await http.listen({ host: config.http.host, port: config.http.port });
  const address = http.server.address();
  const httpUrl = typeof address === 'object' && address ? `http://${config.http.host}:${address.port}` : `http://${config.http.host}:${config.http.port}`;
  logger.info({ url: httpUrl }, 'HTTP API listening');

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      accepting = false;
      logger.info('stopping: intake closed');
      engine.stop();
      await Promise.all([...pollers.values()].map((p) => p.stop()));
      await commands.stop();
      await http.close();
      await Promise.all([...buses.values()].map((b) => b.close()));
      await broker?.close();
      events.removeAll();
      db.close();
      logger.info('stopped');
    })();
    return stopping;
  };

  return { config, repos, metrics, events, engine, commands, buses, pollers, http, httpUrl, mqttUrl, stop };
}
