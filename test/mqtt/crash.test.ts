// Crash test: the daemon runs as its own process and is killed with SIGKILL again and again while
// a concentrator publishes readings as fast as the daemon takes them. After the last restart,
// every reading whose PUBACK the publisher got is in the database exactly once, every charge was
// made once (per meter, the charged energy equals the sum of its consumption entries) and every
// balance equals the sum of its ledger.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { createRepositories, type Repositories } from '../../src/db/repo/index.js';
import { validateConfig } from '../../src/config/load.js';
import { createMqttCredential } from '../../src/mqtt/credentials.js';
import { eventually } from '../helpers/eventually.js';
import { seededRandom } from '../../simulators/concentrator/index.js';
import { isoWithOffset } from '../../simulators/concentrator/meters.js';
import { address, fleet, readingCount, startMosquitto, type Mosquitto } from './fixtures.js';
import { freePort } from '../helpers/net.js';
import { dropTestDatabase, testDatabaseConfig } from '../helpers/database.js';
import { kill, startDaemonProcess, terminate, type DaemonProcess } from '../helpers/daemon-process.js';

const METERS = 20;
const KILLS = 3;
const T0 = Date.parse('2026-11-22T00:00:00+08:00');

/**
 * Publishes one reading per message, round robin over the meters, keeping `window` unacknowledged
 * and pausing `roundPauseMs` after each round (an external broker acknowledges at once, so the
 * pause keeps the backlog the daemon must take after each restart within the test's time).
 */
class Publisher {
  readonly acked = new Set<string>();
  sent = 0;
  private stopped = false;
  private readonly client: MqttClient;

  constructor(url: string, protocolVersion: 4 | 5, private readonly topic: string, private readonly window: number, private readonly roundPauseMs: number, password: string) {
    this.client = mqtt.connect(url, {
      protocolVersion, clientId: `crash-publisher-${process.pid}`, username: 'dcu-c', password, clean: true, reconnectPeriod: 100, connectTimeout: 2000,
    });
    this.client.on('error', () => {});
  }

  async run(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    for (let k = 0; !this.stopped; k++) {
      for (let m = 1; m <= METERS && !this.stopped; m++) {
        while (inFlight.size >= this.window) await Promise.race(inFlight);
        const key = `${address(m)}@${T0 + k * 60_000}`;
        const payload = JSON.stringify({ readings: [{ meter: address(m), ts: isoWithOffset(T0 + k * 60_000), energyKwh: 1000 + k }] });
        const p: Promise<void> = this.client.publishAsync(this.topic, payload, { qos: 1 }).then(() => {
          this.acked.add(key);
        }, () => {});
        // A publish caught in a crash may never complete; after a while it no longer holds the window.
        const bounded = Promise.race([p, new Promise<void>((r) => setTimeout(r, 5000))]).finally(() => inFlight.delete(bounded));
        inFlight.add(bounded);
        this.sent++;
      }
      if (this.roundPauseMs > 0) await new Promise((r) => setTimeout(r, this.roundPauseMs));
    }
    await Promise.all(inFlight);
  }

  stop(): void {
    this.stopped = true;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

function storedKeys(repos: Repositories): Set<string> {
  const rows = repos.db.prepare('SELECT m.address AS address, r.ts AS ts FROM readings r JOIN meters m ON m.id = r.meter_id').all() as Array<{ address: string; ts: number }>;
  return new Set(rows.map((r) => `${r.address}@${r.ts}`));
}

describe('crash safety of the readings ingest (SIGKILL while publishing)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function crashRun(broker: Mosquitto | null): Promise<void> {
    const dataDir = mkdtempSync(join(tmpdir(), 'feikong-crash-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    cleanups.push(() => dropTestDatabase(dataDir));
    const config = validateConfig({ dataDir, database: testDatabaseConfig(dataDir) });
    let password: string;
    {
      const db = openConfiguredDatabase(config);
      const repos = createRepositories(db);
      fleet(repos, config, 'dcu-c', METERS, 10_000_000);
      password = repos.transaction(() => createMqttCredential(repos, 'dcu-c', 'test', Date.now())).password;
      db.close();
    }
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    const env: Record<string, string> = {
      FEIKONG_DATA_DIR: dataDir, FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '3600000', FEIKONG_MQTT__EMBEDDED_PORT: String(mqttPort),
      ...(broker ? {
        FEIKONG_MQTT__URL: broker.url, FEIKONG_MQTT__CLIENT_ID: `crash-${process.pid}`,
        FEIKONG_MQTT__SHARED_GROUP: 'crash', FEIKONG_MQTT__INGEST__CONNECTIONS: '4',
      } : {}),
    };
    let daemon: DaemonProcess = await startDaemonProcess(env, httpPort);
    cleanups.push(() => kill(daemon));
    const url = broker ? broker.url : `mqtt://127.0.0.1:${mqttPort}`;
    const publisher = new Publisher(url, broker ? 5 : 4, 'feikong/v1/concentrators/dcu-c/readings', 50, broker ? 100 : 0, password);
    cleanups.push(() => publisher.close());
    const publishing = publisher.run();
    const random = seededRandom(42);
    for (let i = 0; i < KILLS; i++) {
      await new Promise((r) => setTimeout(r, 300 + random() * 700));
      await kill(daemon);
      daemon = await startDaemonProcess(env, httpPort);
    }
    // Enough acknowledged after the last restart to mean something, however busy the machine.
    await eventually(() => expect(publisher.acked.size).toBeGreaterThan(METERS * 10), 60_000, 50);
    publisher.stop();
    await publishing;
    expect(publisher.sent).toBeGreaterThan(publisher.acked.size - 1);

    if (broker) {
      // Acknowledged by Mosquitto, kept in the daemon's session while it was down: wait for them.
      const db = openConfiguredDatabase(config);
      cleanups.push(() => { db.close(); });
      const repos = createRepositories(db);
      await eventually(() => expect(readingCount(repos)).toBeGreaterThanOrEqual(publisher.acked.size), 120_000, 200);
    }
    expect(await terminate(daemon)).toBe(0);

    const db = openConfiguredDatabase(config);
    const repos = createRepositories(db);
    cleanups.push(() => { db.close(); });
    const stored = storedKeys(repos);
    const missing = [...publisher.acked].filter((k) => !stored.has(k));
    expect(missing).toEqual([]);
    expect(readingCount(repos)).toBe(stored.size); // (meter, ts) stored once
    expect(repos.ledger.invariantViolations()).toEqual([]);
    const charges = repos.db.prepare(`SELECT m.id AS id, m.charged_energy_wh - m.charge_base_wh AS charged,
      (SELECT COALESCE(SUM(energy_wh), 0) FROM ledger_entries l WHERE l.meter_id = m.id AND l.kind = 'consumption') AS billed
      FROM meters m`).all() as Array<{ id: string; charged: number; billed: number }>;
    for (const c of charges) expect(c.billed, c.id).toBe(c.charged);
  }

  it('loses no acknowledged reading and charges none twice: embedded broker', async () => {
    await crashRun(null);
  }, 300_000);

  it('loses no acknowledged reading and charges none twice: Mosquitto', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    await crashRun(broker);
  }, 300_000);
});
