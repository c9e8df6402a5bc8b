// MQTT readings ingest, end to end: the daemon in its own process with its embedded broker, a
// separate publisher process (bench/mqtt/publisher.ts) with one connection per concentrator
// publishing at QoS 1. A PUBACK comes back only after the reading is committed, so PUBACKed
// readings per second is publish → committed → PUBACK throughput. Two shapes: 100 readings per
// message (batched) and 1 per message (unbatched). Reference: the same publisher against the same
// broker on a topic the daemon does not ingest (the broker and publisher alone). Rates are
// sustained rates: PUBACKed less the growth of the pending backlog (bench/lib/mqtt-load.ts). The
// figure is the rate over the measured runs together: the backlog swings by up to a round of
// charging within a run, which shifts single runs' rates both ways but cancels over runs back to back.
//
//   tsx bench/mqtt-ingest.ts          (BENCH_SMOKE=1 for a seconds-long check;
//                                      BENCH_CPU_PROFILE=dir writes the daemon's CPU profile there;
//                                      BENCH_SHAPES=unbatched runs only the shapes named;
//                                      BENCH_TARIFF=tiered|tou puts every account on a monthly ladder or a
//                                      peak 08–22 / valley tariff instead of the flat one;
//                                      BENCH_READING_OFFSET_S=420 takes readings 7 min past the quarter hours,
//                                      so those spanning a band edge are split)
import { openDatabase } from '../src/db/connection.js';
import { emit, figure, log, size, type Figure } from './lib/figures.js';
import { median, spread } from './lib/stats.js';
import { freePort, startDaemonProcess, type DaemonProcess } from './lib/daemon.js';
import { concentratorsOf, ReadingsPublisher } from './lib/mqtt-load.js';
import { BENCH_MQTT_PASSWORD, FLAT_TARIFF, seedFleet, tempDir, type SeedTariff } from './lib/seed.js';

const meters = size(10_240, 512);
/** long enough that the pending backlog's swings (up to maxPendingReadings) are small against a run */
const durationS = size(15, 2);
const warmupS = size(3, 1);
/** the broker-alone reference, one run per shape: a ceiling, 3–50 times the daemon's rate */
const referenceS = size(4, 2);
const runs = Number(process.env.BENCH_RUNS ?? 0) || size(3, 1);

interface Shape {
  name: string;
  readingsPerMessage: number;
  /** unacknowledged messages per connection */
  window: number;
  unit: 'readings/s' | 'messages/s';
  target: number;
}

const ALL_SHAPES: Shape[] = [
  { name: 'batched-100', readingsPerMessage: 100, window: 8, unit: 'readings/s', target: 100_000 },
  { name: 'unbatched', readingsPerMessage: 1, window: 100, unit: 'messages/s', target: 20_000 },
];
const only = process.env.BENCH_SHAPES?.split(',').map((s) => s.trim()).filter(Boolean);
const SHAPES = only ? ALL_SHAPES.filter((s) => only.includes(s.name)) : ALL_SHAPES;
if (SHAPES.length === 0) throw new Error(`BENCH_SHAPES names no shape (known: ${ALL_SHAPES.map((s) => s.name).join(', ')})`);

const TARIFFS: Record<string, SeedTariff> = {
  flat: FLAT_TARIFF,
  tiered: { id: 'monthly-ladder', name: 'monthly ladder', definition: { kind: 'tiered', period: 'month', steps: [{ upToKwh: 200, pricePerKwh: '0.588' }, { upToKwh: 450, pricePerKwh: '0.638' }, { pricePerKwh: '0.888' }] } },
  tou: { id: 'peak-valley', name: 'peak 08–22, valley', definition: { kind: 'tou', prices: { peak: '0.5683', flat: '0.5683', valley: '0.2883' }, bands: [{ band: 'peak', from: '08:00', to: '22:00' }, { band: 'valley', from: '22:00', to: '08:00' }] } },
};
const tariffLabel = process.env.BENCH_TARIFF ?? 'flat';
const tariff = TARIFFS[tariffLabel];
if (!tariff) throw new Error(`BENCH_TARIFF names no tariff (known: ${Object.keys(TARIFFS).join(', ')})`);

const concentrators = concentratorsOf(meters);

/** One publishing run of `shape`: its sustained rate in the shape's unit, with the daemon's CPU and RSS. */
async function publish(publisher: ReadingsPublisher, shape: Shape, seconds: number, topic: string, daemon: DaemonProcess) {
  const run = await publisher.run(topic, shape.readingsPerMessage, shape.window, seconds, daemon);
  return { ...run, rate: shape.unit === 'readings/s' ? run.readingsPerSecond : run.messagesPerSecond };
}

const data = tempDir('mqtt-ingest');
const figures: Figure[] = [];
let daemon: DaemonProcess | null = null;
try {
  log(`seeding ${meters} meters behind ${concentrators.length} concentrators`);
  seedFleet(data.dir, meters, tariff);
  const mqttPort = await freePort();
  daemon = await startDaemonProcess({
    dataDir: data.dir,
    // Anonymous clients allowed (lab setting) for the broker-alone reference only: its topic is one
    // no concentrator may publish to. The measured runs connect with the concentrators' credentials.
    env: { FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '3600000', FEIKONG_MQTT__EMBEDDED_PORT: String(mqttPort), FEIKONG_MQTT__AUTH__ALLOW_ANONYMOUS: 'true', FEIKONG_LOG__LEVEL: 'warn' },
    ...(process.env.BENCH_CPU_PROFILE ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] } : {}),
  });
  const publisher = new ReadingsPublisher(`mqtt://127.0.0.1:${mqttPort}`, concentrators);
  let acked = 0;
  for (const shape of SHAPES) {
    publisher.password = null;
    const bare = await publish(publisher, shape, referenceS, 'feikong/v1/bench/{cid}/sink', daemon);
    publisher.password = BENCH_MQTT_PASSWORD;
    log(`${shape.name}: bare broker ${bare.rate.toFixed(0)} ${shape.unit} (publisher CPU ${bare.publisherCpu.toFixed(0)} %)`);
    await publish(publisher, shape, warmupS, 'feikong/v1/concentrators/{cid}/readings', daemon);
    const rates: number[] = [];
    const cpus: number[] = [];
    const rss: number[] = [];
    const p99: number[] = [];
    const perCharge: number[] = [];
    const splitShares: number[] = [];
    let sustained = 0;
    let seconds = 0;
    for (let r = 0; r < runs; r++) {
      const run = await publish(publisher, shape, durationS, 'feikong/v1/concentrators/{cid}/readings', daemon);
      acked += run.result.readings;
      rates.push(run.rate);
      sustained += run.rate * run.result.seconds;
      seconds += run.result.seconds;
      cpus.push(run.daemonCpu);
      rss.push(run.daemonRssMb);
      p99.push(run.result.latencyP99Ms);
      perCharge.push(run.readingsPerMeterCharge);
      splitShares.push(run.splitShare * 100);
      log(`${shape.name} run ${r + 1}/${runs}: ${run.rate.toFixed(0)} ${shape.unit} (pending backlog ${run.pendingGrowth >= 0 ? '+' : ''}${run.pendingGrowth}, ${run.readingsPerMeterCharge.toFixed(1)} readings per meter charge, ${(run.splitShare * 100).toFixed(2)} % split), daemon CPU ${run.daemonCpu.toFixed(0)} %, RSS ${run.daemonRssMb.toFixed(0)} MB, `
        + `publisher CPU ${run.publisherCpu.toFixed(0)} %, PUBACK p99 ${run.result.latencyP99Ms.toFixed(1)} ms`);
    }
    const note = `${shape.readingsPerMessage} reading(s)/message, ${concentrators.length} connections × ${shape.window} unacknowledged, ${meters} meters, target ${shape.target} ${shape.unit}`;
    figures.push(figure(`mqtt-ingest.${shape.name}.throughput`, sustained / seconds, shape.unit, bare.rate, { spread: `runs: ${spread(rates, 0)}`, note: `${note}; over the ${runs} runs together` }));
    figures.push(figure(`mqtt-ingest.${shape.name}.daemon-cpu`, median(cpus), '% of one core', null, { spread: spread(cpus, 0) }));
    figures.push(figure(`mqtt-ingest.${shape.name}.daemon-rss-peak`, median(rss), 'MB', null, { spread: spread(rss, 0) }));
    figures.push(figure(`mqtt-ingest.${shape.name}.puback-p99`, median(p99), 'ms', null, { spread: spread(p99, 1) }));
    figures.push(figure(`mqtt-ingest.${shape.name}.readings-per-charge`, median(perCharge), 'readings/meter', null,
      { spread: spread(perCharge, 1), note: 'readings charged per meter in one charging transaction (each meter once, for all its pending readings there)' }));
    figures.push(figure(`mqtt-ingest.${shape.name}.split-share`, median(splitShares), '% of readings', null,
      { spread: spread(splitShares, 2), note: `readings whose interval from the reading before was split by time at a period reset, band edge or tariff change (docs/charging.md); tariff ${tariffLabel}` }));
  }
  await daemon.stop();
  daemon = null;
  // Every PUBACKed reading must be in the database (a cheap check that the figures count real work).
  const db = openDatabase(data.dir);
  const stored = (db.prepare('SELECT (SELECT COUNT(*) FROM readings) + (SELECT COUNT(*) FROM pending_readings) AS n').get() as { n: number }).n;
  db.close();
  if (stored < acked) throw new Error(`${acked} readings PUBACKed in the measured runs but only ${stored} stored (charged or pending)`);
  log(`${stored} readings stored (${acked} PUBACKed in the measured runs)`);
} finally {
  await daemon?.stop();
  data.remove();
}
emit(figures);
