// The morning every concentrator reports at once: the daemon with its embedded broker in its own
// process, a seeded fleet of concentrators × 256 meters, and a publisher process
// (bench/mqtt/burst-publisher.ts) where every concentrator pushes one day of quarter-hour readings
// at once, four messages of 6,144 readings each, one unacknowledged at a time. Figures: the time
// to the last PUBACK, PUBACK latency as the concentrators see it (from the publish call: it
// includes the time a message waited unread while its connection waited its turn) and as the
// daemon holds it (message read to PUBACK, feikong_mqtt_ack_seconds: what the flow control
// bounds), readings acknowledged per second, the time until every reading is charged, the
// daemon's RSS idle before (after a warm-up quarter-hour of every meter, as a daemon in service
// is: its bounded caches — SQLite's pages, the meter directory — filled), at its peak, and one
// minute after the last PUBACK. Afterwards every reading is checked to be in the database.
//
//   tsx bench/mqtt-burst.ts                 (400 concentrators; BENCH_SMOKE=1 for a seconds-long check)
//   BENCH_BURST_CONCENTRATORS=100 tsx bench/mqtt-burst.ts    (a smaller burst on a busy machine)
//   BENCH_BURST_QUARTERS=48, BENCH_BURST_WINDOW=4, BENCH_BURST_SETTLE_S=60 change the push
import { readFileSync } from 'node:fs';
import { openDatabase } from '../src/db/connection.js';
import { emit, figure, isSmoke, log, size, type Figure } from './lib/figures.js';
import { freePort, spawnTs, startDaemonProcess, type DaemonProcess } from './lib/daemon.js';
import { concentratorsOf } from './lib/mqtt-load.js';
import { rssBytes, sampleProcess } from './lib/proc.js';
import { BENCH_MQTT_PASSWORD, METERS_PER_CONCENTRATOR, seedFleet, tempDir } from './lib/seed.js';
import type { BurstResult, BurstSpec } from './mqtt/burst-publisher.js';

const concentratorCount = Number(process.env.BENCH_BURST_CONCENTRATORS ?? 0) || size(400, 4);
const quarters = Number(process.env.BENCH_BURST_QUARTERS ?? 0) || size(96, 8);
const quartersPerMessage = size(24, 4);
const window = Number(process.env.BENCH_BURST_WINDOW ?? 0) || 1;
const settleS = Number(process.env.BENCH_BURST_SETTLE_S ?? 0) || size(60, 2);

/** A quantile of a Prometheus histogram, interpolated inside its bucket, in seconds. */
function histogramQuantile(metrics: string, name: string, q: number): number {
  const buckets: Array<[number, number]> = [];
  for (const m of metrics.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))) {
    buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  }
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + (le - prevLe) * ((rank - prevCount) / Math.max(1, count - prevCount));
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

async function metricsOf(daemon: DaemonProcess): Promise<string> {
  return (await fetch(`${daemon.url}/metrics`)).text();
}

const pendingOf = (metrics: string) => Number(/^feikong_readings_pending (\d+)/m.exec(metrics)?.[1] ?? NaN);

/** Runs the publisher process; `started` is called when it starts publishing. */
async function runPublisher(spec: BurstSpec, started: () => void = () => {}): Promise<BurstResult> {
  const child = spawnTs('bench/mqtt/burst-publisher.ts', [JSON.stringify(spec)]);
  let out = '';
  let err = '';
  let told = false;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (!told && out.includes('"publishing":true')) {
      told = true;
      started();
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  if (code !== 0) throw new Error(`burst publisher exited with ${code}: ${err}`);
  return JSON.parse(out.trim().split('\n').pop()!) as BurstResult;
}

const meters = concentratorCount * METERS_PER_CONCENTRATOR;
const data = tempDir('mqtt-burst');
const figures: Figure[] = [];
let daemon: DaemonProcess | null = null;
try {
  log(`seeding ${meters} meters behind ${concentratorCount} concentrators`);
  seedFleet(data.dir, meters);
  const mqttPort = await freePort();
  daemon = await startDaemonProcess({
    dataDir: data.dir,
    env: { FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '3600000', FEIKONG_MQTT__EMBEDDED_PORT: String(mqttPort), FEIKONG_LOG__LEVEL: 'warn' },
  });
  // Idle: ready, and the start-up passes over the fleet done.
  await new Promise((r) => setTimeout(r, size(5000, 500)));
  const coldRss = rssBytes(daemon.pid);
  // Warm-up, as a daemon in service is: every concentrator's previous quarter-hour (each meter's
  // first reading), charged; then idle for a while. Its RSS is "idle".
  const url = `mqtt://127.0.0.1:${mqttPort}`;
  await runPublisher({ url, concentrators: concentratorsOf(meters), quarters: 1, firstQuarter: -1, quartersPerMessage: 1, window: 1, password: BENCH_MQTT_PASSWORD });
  while (pendingOf(await metricsOf(daemon)) > 0) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, size(10_000, 500)));
  const idleRss = rssBytes(daemon.pid);
  log(`idle RSS: ${(coldRss / 2 ** 20).toFixed(0)} MiB cold, ${(idleRss / 2 ** 20).toFixed(0)} MiB after the warm-up`);
  const spec: BurstSpec = { url, concentrators: concentratorsOf(meters), quarters, quartersPerMessage, window, password: BENCH_MQTT_PASSWORD };
  log(`burst: ${concentratorCount} concentrators × ${METERS_PER_CONCENTRATOR} meters × ${quarters} quarter-hours = ${meters * quarters} readings, ${quartersPerMessage * METERS_PER_CONCENTRATOR} a message, window ${window}`);
  let sampled: ReturnType<typeof sampleProcess> | null = null;
  let publishStart = 0;
  const result = await runPublisher(spec, () => {
    sampled = sampleProcess(daemon!.pid, 100);
    publishStart = performance.now();
  });
  const lastAckAt = publishStart + result.lastAckS * 1000;
  log(`last PUBACK after ${result.lastAckS.toFixed(1)} s; PUBACK p50 ${result.latencyP50Ms.toFixed(0)} ms, p99 ${result.latencyP99Ms.toFixed(0)} ms (from the publish call)`);
  // Charging catches up with what was acknowledged.
  let chargedS = NaN;
  for (;;) {
    const pending = pendingOf(await metricsOf(daemon));
    if (pending === 0) {
      chargedS = (performance.now() - publishStart) / 1000;
      break;
    }
    if (performance.now() - lastAckAt > 1_800_000) throw new Error(`${pending} readings still pending 30 min after the last PUBACK`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const metrics = await metricsOf(daemon);
  const peak = (sampled as ReturnType<typeof sampleProcess> | null)!.stop().rssPeakBytes;
  const wait = lastAckAt + settleS * 1000 - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const afterRss = rssBytes(daemon.pid);
  const heap = (m: string, name: string) => Number(new RegExp(`^feikong_process_${name} (\\S+)`, 'm').exec(m)?.[1] ?? NaN) / 2 ** 20;
  const after = await metricsOf(daemon);
  const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  log(`after: RSS anonymous ${kb('RssAnon').toFixed(0)} MiB, file ${kb('RssFile').toFixed(0)} MiB, shared ${kb('RssShmem').toFixed(0)} MiB`);
  log(`after: heap used ${heap(after, 'nodejs_heap_size_used_bytes').toFixed(0)} MiB of ${heap(after, 'nodejs_heap_size_total_bytes').toFixed(0)}, external ${heap(after, 'nodejs_external_memory_bytes').toFixed(0)} MiB`);
  log(`charged ${chargedS.toFixed(1)} s after the start; RSS idle ${(idleRss / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB, ${settleS} s after the last PUBACK ${(afterRss / 2 ** 20).toFixed(0)} MiB`);
  await daemon.stop();
  daemon = null;
  // Every acknowledged reading is stored.
  const db = openDatabase(data.dir);
  const stored = (db.prepare('SELECT (SELECT COUNT(*) FROM readings) + (SELECT COUNT(*) FROM pending_readings) AS n').get() as { n: number }).n;
  db.close();
  if (stored !== result.readings + meters) throw new Error(`${result.readings} readings acknowledged, ${stored} stored`);
  const shape = `${concentratorCount} concentrators × ${METERS_PER_CONCENTRATOR} meters × ${quarters} quarter-hours${isSmoke() ? ' (smoke)' : ''}`;
  const mib = (b: number) => b / 2 ** 20;
  figures.push(
    figure('mqtt-burst.last-ack', result.lastAckS, 's', null, { note: `${result.readings} readings in ${result.messages} messages; ${shape}` }),
    figure('mqtt-burst.puback-p50', result.latencyP50Ms, 'ms', null, { note: 'from the publish call, window 1: includes waiting unread for the connection\'s turn' }),
    figure('mqtt-burst.puback-p99', result.latencyP99Ms, 'ms', null, { note: `max ${result.latencyMaxMs.toFixed(0)} ms` }),
    figure('mqtt-burst.daemon-ack-p50', histogramQuantile(metrics, 'feikong_mqtt_ack_seconds', 0.5) * 1000, 'ms', null, { note: 'message read to PUBACK (feikong_mqtt_ack_seconds, interpolated in its bucket)' }),
    figure('mqtt-burst.daemon-ack-p99', histogramQuantile(metrics, 'feikong_mqtt_ack_seconds', 0.99) * 1000, 'ms'),
    figure('mqtt-burst.readings-per-s', result.readings / result.lastAckS, 'readings/s', null, { note: 'acknowledged readings over the time to the last PUBACK' }),
    figure('mqtt-burst.charged', chargedS, 's', null, { note: 'publishing start to no reading pending' }),
    figure('mqtt-burst.concentrator-done-spread', result.concentratorDoneMaxS / Math.max(1e-9, result.concentratorDoneP50S), 'max/median', null, { note: 'when concentrators had their last PUBACK: the last against the median' }),
    figure('mqtt-burst.rss-idle', mib(idleRss), 'MiB', mib(coldRss), { note: 'after a warm-up quarter-hour of every meter, charged, and 10 s idle; reference: cold, before it' }),
    figure('mqtt-burst.rss-peak', mib(peak), 'MiB'),
    figure('mqtt-burst.rss-after', mib(afterRss), 'MiB', mib(idleRss), { note: `${settleS} s after the last PUBACK; reference: idle before (warm)` }),
  );
} finally {
  await daemon?.stop();
  data.remove();
}
emit(figures);
