// The daemon on PostgreSQL, end to end: the real daemon process(es) (bench/lib/daemon.ts) with
// FEIKONG_DATABASE__URL on a private PostgreSQL server (test/helpers/postgres.ts) at its durable
// defaults (fsync on, synchronous commit), loaded as payments.ts and mqtt-ingest.ts load it on
// SQLite:
// - durable payments: POST /v1/payments from 100 connections, each a distinct payment, through one
//   daemon (bench/lib/payment-load.ts; group commit on, the default). Reference, in the same run,
//   alternating: the same daemon on SQLite (synchronous=FULL) under the same load. CPU per payment
//   of the daemon, and of the PostgreSQL server's processes together;
// - the same load split evenly over two daemons on the one database: the figure a scale-out gives.
//   Reference: one daemon;
// - MQTT readings ingest, 100 readings per message, one daemon (bench/lib/mqtt-load.ts, the
//   publisher of mqtt-ingest.ts): sustained readings per second (PUBACKed less the pending backlog's growth). Reference: the same publisher
//   against the daemon's broker on a topic the daemon does not ingest.
// Seeding: the fleet of seed.ts (accounts, one meter each behind concentrators, opening ledger
// entries, API keys) into each PostgreSQL database in one transaction, tariff and keys through the
// repositories, the rows by generate_series INSERTs (bench/lib/seed-pg.ts). The figures count
// real work: the ledger check passes on both payment databases afterwards, holding every
// acknowledged payment, and every PUBACKed reading is stored.
//
//   tsx bench/pg-daemon.ts            (BENCH_SMOKE=1 for a seconds-long check)
import { tmpdir } from 'node:os';
import { emit, figure, log, size, type Figure } from './lib/figures.js';
import { median, spread } from './lib/stats.js';
import { freePort, startDaemonProcess, type DaemonProcess } from './lib/daemon.js';
import { measurePayments, paymentGroupSize, type PaymentRun } from './lib/payment-load.js';
import { concentratorsOf, ReadingsPublisher } from './lib/mqtt-load.js';
import { BENCH_MQTT_PASSWORD, seedFleet, tempDir } from './lib/seed.js';
import { seedFleetPostgres } from './lib/seed-pg.js';
import { startPostgres, type TestPostgres } from '../test/helpers/postgres.js';
import type { Database } from '../src/db/database.js';
import { openConfiguredDatabase } from '../src/db/open.js';
import { connectPostgresSync } from '../src/db/pg/sync.js';
import { createRepositories } from '../src/db/repo/index.js';
import { checkLedger } from '../src/ledger/check.js';

const accounts = size(10_000, 100);
const connections = 100;
const runs = size(3, 1);
const durationS = size(5, 1);
const warmupS = size(2, 0);

const meters = size(10_240, 512);
const readingsPerMessage = 100;
/** unacknowledged messages per connection, as mqtt-ingest.ts's batched shape */
const ingestWindow = 8;
const ingestS = size(8, 2);
const ingestWarmupS = size(3, 1);
const ingestReferenceS = size(4, 1);

// The engine's periodic sweep is its own workload (engine-sweep.ts); the per-key limit is at its highest.
const ENV = { FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '3600000', FEIKONG_HTTP__RATE_LIMIT__MAX: '10000000' };

/** The server's processes, backends and background processes, but this query's own backend. */
function serverPids(url: string): number[] {
  const db = connectPostgresSync(url);
  try {
    return db.prepare('SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()').pluck().all() as number[];
  } finally {
    db.close();
  }
}

function withDatabase<T>(url: string, fn: (db: Database) => T): T {
  const db = openConfiguredDatabase({ dataDir: tmpdir(), database: { url } });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The ledger check on a database the daemons have stopped writing, holding at least `acknowledged` payments. */
function ledgerHolds(url: string, label: string, acknowledged: number): void {
  const report = withDatabase(url, (db) => checkLedger(createRepositories(db), Date.now()));
  if (!report.ok) throw new Error(`${label}: ledger check failed: ${JSON.stringify(report.violations.slice(0, 3))}`);
  if (report.payments < acknowledged) throw new Error(`${label}: ${acknowledged} payments acknowledged but ${report.payments} stored`);
  log(`${label}: ledger check ok, ${report.payments} payments (${acknowledged} acknowledged)`);
}

async function payments(server: TestPostgres): Promise<Figure[]> {
  const dirs = { sqlite: tempDir('pg-daemon-sqlite'), pg: tempDir('pg-daemon') };
  const urls = { one: await server.createDatabase('feikong_one'), two: await server.createDatabase('feikong_two') };
  const daemons: DaemonProcess[] = [];
  try {
    const t0 = performance.now();
    const keys = {
      sqlite: seedFleet(dirs.sqlite.dir, accounts).keys.billing,
      one: seedFleetPostgres(urls.one, accounts).keys.billing,
      two: seedFleetPostgres(urls.two, accounts).keys.billing,
    };
    log(`seeded ${accounts} accounts into SQLite and two PostgreSQL databases in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const start = async (dataDir: string, env: Record<string, string>) => {
      const d = await startDaemonProcess({ dataDir, env: { ...ENV, ...env } });
      daemons.push(d);
      return d;
    };
    const sqlite = await start(dirs.sqlite.dir, {});
    const one = await start(dirs.pg.dir, { FEIKONG_DATABASE__URL: urls.one });
    const two = [await start(dirs.pg.dir, { FEIKONG_DATABASE__URL: urls.two }), await start(dirs.pg.dir, { FEIKONG_DATABASE__URL: urls.two })];
    log(`daemons ready: SQLite ${sqlite.readyMs.toFixed(0)} ms, PostgreSQL ${[one, ...two].map((d) => d.readyMs.toFixed(0)).join(', ')} ms`);

    const load = (ds: DaemonProcess[], key: string, prefix: string, seconds: number) =>
      ({ urls: ds.map((d) => d.url), key, prefix, accounts, connections, durationS: seconds });
    const onSqlite = (prefix: string, seconds: number) => measurePayments(load([sqlite], keys.sqlite, prefix, seconds), [sqlite.pid]);
    const onOne = (prefix: string, seconds: number) => measurePayments(load([one], keys.one, prefix, seconds), [one.pid], serverPids(server.url));
    const onTwo = (prefix: string, seconds: number) => measurePayments(load(two, keys.two, prefix, seconds), two.map((d) => d.pid), serverPids(server.url));
    const acknowledged = { one: 0, two: 0 };
    if (warmupS > 0) {
      await onSqlite('warm', warmupS);
      acknowledged.one += (await onOne('warm', warmupS)).payments;
      acknowledged.two += (await onTwo('warm', warmupS)).payments;
    }
    const s: PaymentRun[] = [];
    const p1: PaymentRun[] = [];
    const p2: PaymentRun[] = [];
    const show = (r: PaymentRun) => `${r.perSecond.toFixed(0)}/s p99 ${r.p99Ms} ms ${r.cpuUs.toFixed(0)} µs CPU/payment`;
    for (let i = 0; i < runs; i++) {
      const rs = await onSqlite(`run${i}`, durationS);
      const r1 = await onOne(`run${i}`, durationS);
      const r2 = await onTwo(`run${i}`, durationS);
      s.push(rs);
      p1.push(r1);
      p2.push(r2);
      acknowledged.one += r1.payments;
      acknowledged.two += r2.payments;
      log(`run ${i + 1}/${runs}: PostgreSQL, one daemon ${show(r1)} + server ${r1.otherCpuUs.toFixed(0)} µs (generator ${r1.loadgenCpu.toFixed(0)} %) `
        + `| two daemons ${show(r2)} + server ${r2.otherCpuUs.toFixed(0)} µs | SQLite ${show(rs)}`);
    }
    const perCommit = { sqlite: await paymentGroupSize([sqlite.url]), one: await paymentGroupSize([one.url]), two: await paymentGroupSize(two.map((d) => d.url)) };
    for (const d of daemons.splice(0)) await d.stop();
    ledgerHolds(urls.one, 'one daemon', acknowledged.one);
    ledgerHolds(urls.two, 'two daemons', acknowledged.two);

    const pick = (rs: PaymentRun[], k: keyof PaymentRun) => rs.map((r) => r[k]);
    const m = (rs: PaymentRun[], k: keyof PaymentRun) => median(pick(rs, k));
    const note = `PostgreSQL daemon, POST /v1/payments, ${connections} connections, ${accounts} accounts, distinct payments, durable commits; `
      + 'reference: the daemon on SQLite (synchronous=FULL) under the same load';
    const noteTwo = `two PostgreSQL daemons on one database, ${connections} connections split evenly; reference: one daemon`;
    return [
      figure('pg-daemon.payments.rps', Math.round(m(p1, 'perSecond')), 'payments/s', Math.round(m(s, 'perSecond')), { spread: spread(pick(p1, 'perSecond'), 0), note }),
      figure('pg-daemon.payments.p99', m(p1, 'p99Ms'), 'ms', m(s, 'p99Ms'), { spread: spread(pick(p1, 'p99Ms')) }),
      figure('pg-daemon.payments.cpu-per-payment', Math.round(m(p1, 'cpuUs')), 'µs', Math.round(m(s, 'cpuUs')), { spread: spread(pick(p1, 'cpuUs'), 0) }),
      figure('pg-daemon.payments.server-cpu-per-payment', Math.round(m(p1, 'otherCpuUs')), 'µs', null,
        { spread: spread(pick(p1, 'otherCpuUs'), 0), note: 'CPU of the PostgreSQL server\'s processes per payment' }),
      figure('pg-daemon.payments.per-commit', Math.round(perCommit.one * 10) / 10, 'payments', Math.round(perCommit.sqlite * 10) / 10),
      figure('pg-daemon.two-daemons.payments.rps', Math.round(m(p2, 'perSecond')), 'payments/s', Math.round(m(p1, 'perSecond')),
        { spread: spread(pick(p2, 'perSecond'), 0), note: noteTwo }),
      figure('pg-daemon.two-daemons.payments.p99', m(p2, 'p99Ms'), 'ms', m(p1, 'p99Ms'), { spread: spread(pick(p2, 'p99Ms')) }),
      figure('pg-daemon.two-daemons.payments.cpu-per-payment', Math.round(m(p2, 'cpuUs')), 'µs', Math.round(m(p1, 'cpuUs')),
        { spread: spread(pick(p2, 'cpuUs'), 0), note: 'both daemons together' }),
      figure('pg-daemon.two-daemons.payments.server-cpu-per-payment', Math.round(m(p2, 'otherCpuUs')), 'µs', Math.round(m(p1, 'otherCpuUs')),
        { spread: spread(pick(p2, 'otherCpuUs'), 0) }),
      figure('pg-daemon.two-daemons.payments.per-commit', Math.round(perCommit.two * 10) / 10, 'payments', Math.round(perCommit.one * 10) / 10),
    ];
  } finally {
    for (const d of daemons) await d.stop();
    dirs.sqlite.remove();
    dirs.pg.remove();
  }
}

async function ingest(server: TestPostgres): Promise<Figure[]> {
  const dir = tempDir('pg-daemon-ingest');
  const url = await server.createDatabase('feikong_ingest');
  const concentrators = concentratorsOf(meters);
  let daemon: DaemonProcess | null = null;
  try {
    log(`seeding ${meters} meters behind ${concentrators.length} concentrators`);
    seedFleetPostgres(url, meters);
    const mqttPort = await freePort();
    // Anonymous clients allowed (lab setting) for the broker-alone reference only (a topic no
    // concentrator may publish to); the measured runs connect with the concentrators' credentials.
    daemon = await startDaemonProcess({ dataDir: dir.dir, env: { ...ENV, FEIKONG_DATABASE__URL: url, FEIKONG_MQTT__EMBEDDED_PORT: String(mqttPort), FEIKONG_MQTT__AUTH__ALLOW_ANONYMOUS: 'true' } });
    const publisher = new ReadingsPublisher(`mqtt://127.0.0.1:${mqttPort}`, concentrators);
    const pids = serverPids(server.url);
    const publish = (topic: string, seconds: number) => publisher.run(topic, readingsPerMessage, ingestWindow, seconds, daemon!, pids);
    const readingsTopic = 'feikong/v1/concentrators/{cid}/readings';
    publisher.password = null;
    const bare = await publish('feikong/v1/bench/{cid}/sink', ingestReferenceS);
    publisher.password = BENCH_MQTT_PASSWORD;
    log(`bare broker ${bare.readingsPerSecond.toFixed(0)} readings/s (publisher CPU ${bare.publisherCpu.toFixed(0)} %)`);
    await publish(readingsTopic, ingestWarmupS);
    const rates: number[] = [];
    const cpus: number[] = [];
    const serverCpus: number[] = [];
    const p99: number[] = [];
    let acked = 0;
    for (let r = 0; r < runs; r++) {
      const run = await publish(readingsTopic, ingestS);
      acked += run.result.readings;
      rates.push(run.readingsPerSecond);
      cpus.push(run.daemonCpu);
      serverCpus.push(run.otherCpu);
      // NaN (null in JSON) when too few messages were acknowledged to sample a latency.
      p99.push(run.result.latencyP99Ms ?? NaN);
      log(`ingest run ${r + 1}/${runs}: ${run.readingsPerSecond.toFixed(0)} readings/s (pending backlog ${run.pendingGrowth >= 0 ? '+' : ''}${run.pendingGrowth}), daemon CPU ${run.daemonCpu.toFixed(0)} %, server CPU ${run.otherCpu.toFixed(0)} %, `
        + `publisher CPU ${run.publisherCpu.toFixed(0)} %, PUBACK p99 ${(run.result.latencyP99Ms ?? NaN).toFixed(1)} ms`);
    }
    await daemon.stop();
    daemon = null;
    const stored = withDatabase(url, (db) => db.prepare('SELECT (SELECT COUNT(*) FROM readings) + (SELECT COUNT(*) FROM pending_readings) AS n').pluck().get() as number);
    if (stored < acked) throw new Error(`${acked} readings PUBACKed in the measured runs but only ${stored} stored (charged or pending)`);
    log(`${stored} readings stored (${acked} PUBACKed in the measured runs)`);
    const note = `PostgreSQL daemon, ${readingsPerMessage} readings/message, ${concentrators.length} connections × ${ingestWindow} unacknowledged, `
      + `${meters} meters; reference: the broker alone`;
    return [
      figure('pg-daemon.mqtt-ingest.batched-100.throughput', median(rates), 'readings/s', bare.readingsPerSecond, { spread: spread(rates, 0), note }),
      figure('pg-daemon.mqtt-ingest.batched-100.daemon-cpu', median(cpus), '% of one core', null, { spread: spread(cpus, 0) }),
      figure('pg-daemon.mqtt-ingest.batched-100.server-cpu', median(serverCpus), '% of one core', null,
        { spread: spread(serverCpus, 0), note: 'the PostgreSQL server\'s processes together' }),
      figure('pg-daemon.mqtt-ingest.batched-100.puback-p99', median(p99), 'ms', null, { spread: spread(p99, 1) }),
    ];
  } finally {
    await daemon?.stop();
    dir.remove();
  }
}

async function main(): Promise<void> {
  const server = await startPostgres();
  try {
    // BENCH_PG_PARTS=ingest (or payments) runs one part only.
    const parts = process.env.BENCH_PG_PARTS?.split(',') ?? ['payments', 'ingest'];
    const figures = [...parts.includes('payments') ? await payments(server) : [], ...parts.includes('ingest') ? await ingest(server) : []];
    emit(figures);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`pg-daemon bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
