// What MQTT authentication and topic rights cost the readings ingest: one daemon with its embedded
// broker and the lab setting mqtt.auth.allowAnonymous on, so the same daemon takes both kinds of
// publisher: concentrators connected with their credentials (every publish checked against their
// topic rights) and the same concentrators connected anonymously (no check: the broker as it was
// without authentication). Runs alternate in pairs, the order swapped from pair to pair (A B, B A, …),
// so the database's growth and the machine's other load fall on both alike. The publisher and the
// rates are those of bench/mqtt-ingest.ts (sustained: PUBACKed less the pending backlog's growth).
//
// On a shared, loaded machine the rates swing with the other processes far more than by 5 %, so
// two more figures: the daemon's CPU time per reading in each mode (what bounds the rate once the
// daemon has a core; CPU time is counted only while the daemon runs, so others' load distorts it
// least), and the rights check itself timed in process (src/mqtt/rights.ts, as the broker calls
// it on every publish), against the CPU time of a message.
//
//   tsx bench/mqtt-auth.ts            (BENCH_SMOKE=1 for a seconds-long check; BENCH_RUNS=pairs;
//                                      BENCH_SHAPES=unbatched runs only the shapes named)
import { emit, figure, log, size, type Figure } from './lib/figures.js';
import { spread } from './lib/stats.js';
import { freePort, startDaemonProcess, type DaemonProcess } from './lib/daemon.js';
import { concentratorsOf, ReadingsPublisher } from './lib/mqtt-load.js';
import { BENCH_MQTT_PASSWORD, seedFleet, tempDir } from './lib/seed.js';
import { Topics } from '../src/mqtt/topics.js';
import { mayPublish, type MqttIdentity } from '../src/mqtt/rights.js';

/** ns per rights check of a publish: the identity lookup and mayPublish, as BrokerGuard.allowPublish does. */
function timeRightsCheck(): number {
  const topics = new Topics('feikong/v1');
  const clients = Array.from({ length: 40 }, (_, i) => ({ id: `dcu-${i}` }));
  const identities = new WeakMap<object, MqttIdentity>(clients.map((c) => [c, { kind: 'concentrator', concentratorId: c.id, credentialId: 'x' }]));
  const topicsOf = clients.map((c) => topics.readings(c.id));
  let allowed = 0;
  const loop = (n: number) => {
    for (let i = 0; i < n; i++) {
      const k = i % clients.length;
      const identity = identities.get(clients[k]!);
      if (identity && mayPublish(identity, topics, topicsOf[k]!)) allowed++;
    }
  };
  loop(200_000); // warm-up
  const n = size(5_000_000, 200_000);
  const cpu0 = process.cpuUsage();
  loop(n);
  const cpu = process.cpuUsage(cpu0);
  if (allowed !== n + 200_000) throw new Error('a concentrator was refused its own readings topic');
  return ((cpu.user + cpu.system) * 1000) / n;
}

const meters = size(10_240, 512);
const durationS = size(10, 2);
const warmupS = size(3, 1);
const pairs = Number(process.env.BENCH_RUNS ?? 0) || size(4, 1);

interface Shape {
  name: string;
  readingsPerMessage: number;
  window: number;
  unit: 'readings/s' | 'messages/s';
}

const ALL_SHAPES: Shape[] = [
  { name: 'batched-100', readingsPerMessage: 100, window: 8, unit: 'readings/s' },
  { name: 'unbatched', readingsPerMessage: 1, window: 100, unit: 'messages/s' },
];
const only = process.env.BENCH_SHAPES?.split(',').map((s) => s.trim()).filter(Boolean);
const SHAPES = only ? ALL_SHAPES.filter((s) => only.includes(s.name)) : ALL_SHAPES;
if (SHAPES.length === 0) throw new Error(`BENCH_SHAPES names no shape (known: ${ALL_SHAPES.map((s) => s.name).join(', ')})`);

const TOPIC = 'feikong/v1/concentrators/{cid}/readings';
const concentrators = concentratorsOf(meters);
const data = tempDir('mqtt-auth');
const figures: Figure[] = [];
const checkShare: Array<{ shape: string; perMessageUs: number }> = [];
let daemon: DaemonProcess | null = null;
try {
  log(`seeding ${meters} meters behind ${concentrators.length} concentrators`);
  seedFleet(data.dir, meters);
  const mqttPort = await freePort();
  daemon = await startDaemonProcess({
    dataDir: data.dir,
    env: { FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '3600000', FEIKONG_MQTT__EMBEDDED_PORT: String(mqttPort), FEIKONG_MQTT__AUTH__ALLOW_ANONYMOUS: 'true', FEIKONG_LOG__LEVEL: 'error' },
  });
  const publisher = new ReadingsPublisher(`mqtt://127.0.0.1:${mqttPort}`, concentrators);
  for (const shape of SHAPES) {
    const run = async (authenticated: boolean, seconds: number) => {
      publisher.password = authenticated ? BENCH_MQTT_PASSWORD : null;
      const r = await publisher.run(TOPIC, shape.readingsPerMessage, shape.window, seconds, daemon!);
      const cpuSeconds = (r.daemonCpu / 100) * r.result.seconds;
      return { rate: shape.unit === 'readings/s' ? r.readingsPerSecond : r.messagesPerSecond, seconds: r.result.seconds, cpu: r.daemonCpu, cpuSeconds, readings: r.readingsPerSecond * r.result.seconds };
    };
    await run(true, warmupS);
    const sums = {
      on: { work: 0, seconds: 0, rates: [] as number[], cpuSeconds: 0, readings: 0, cpuPerReading: [] as number[] },
      off: { work: 0, seconds: 0, rates: [] as number[], cpuSeconds: 0, readings: 0, cpuPerReading: [] as number[] },
    };
    const ratios: number[] = [];
    for (let p = 0; p < pairs; p++) {
      const order = p % 2 === 0 ? [true, false] : [false, true];
      const got: Record<string, number> = {};
      for (const authenticated of order) {
        const r = await run(authenticated, durationS);
        const sum = authenticated ? sums.on : sums.off;
        sum.work += r.rate * r.seconds;
        sum.seconds += r.seconds;
        sum.rates.push(r.rate);
        sum.cpuSeconds += r.cpuSeconds;
        sum.readings += r.readings;
        sum.cpuPerReading.push((r.cpuSeconds / r.readings) * 1e6);
        got[authenticated ? 'on' : 'off'] = r.rate;
        log(`${shape.name} pair ${p + 1}/${pairs} ${authenticated ? 'authenticated' : 'anonymous    '}: ${r.rate.toFixed(0)} ${shape.unit}, daemon CPU ${r.cpu.toFixed(0)} %, `
          + `${((r.cpuSeconds / r.readings) * 1e6).toFixed(2)} µs CPU per reading`);
      }
      ratios.push(got.on! / got.off!);
    }
    const on = sums.on.work / sums.on.seconds;
    const off = sums.off.work / sums.off.seconds;
    log(`${shape.name}: authenticated ${on.toFixed(0)} (runs ${spread(sums.on.rates, 0)}), anonymous ${off.toFixed(0)} (runs ${spread(sums.off.rates, 0)}), `
      + `ratio ${(on / off).toFixed(3)}, pairs ${ratios.map((r) => r.toFixed(3)).join(' ')}`);
    figures.push(figure(`mqtt-auth.${shape.name}.throughput`, on, shape.unit, off, {
      spread: `pair ratios ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}; authenticated runs ${spread(sums.on.rates, 0)}, anonymous runs ${spread(sums.off.rates, 0)}`,
      note: `${shape.readingsPerMessage} reading(s)/message, ${concentrators.length} connections × ${shape.window}; reference: the same concentrators anonymous (no rights checked), ${pairs} alternating pairs of ${durationS} s runs`,
    }));
    const cpuOn = (sums.on.cpuSeconds / sums.on.readings) * 1e6;
    const cpuOff = (sums.off.cpuSeconds / sums.off.readings) * 1e6;
    log(`${shape.name}: daemon CPU per reading authenticated ${cpuOn.toFixed(2)} µs (runs ${spread(sums.on.cpuPerReading, 2)}), anonymous ${cpuOff.toFixed(2)} µs (runs ${spread(sums.off.cpuPerReading, 2)})`);
    figures.push(figure(`mqtt-auth.${shape.name}.cpu-per-reading`, cpuOn, 'µs', cpuOff, {
      spread: `authenticated runs ${spread(sums.on.cpuPerReading, 2)}, anonymous runs ${spread(sums.off.cpuPerReading, 2)}`,
      note: "the daemon's CPU time over the runs divided by the readings taken; reference: anonymous",
    }));
    checkShare.push({ shape: shape.name, perMessageUs: cpuOff * shape.readingsPerMessage });
  }
  await daemon.stop();
  daemon = null;
  const checkNs = timeRightsCheck();
  const shares = checkShare.map((c) => `${c.shape} ${((checkNs / (c.perMessageUs * 1000)) * 100).toFixed(3)} %`).join(', ');
  log(`rights check: ${checkNs.toFixed(0)} ns CPU per publish; of a message's daemon CPU: ${shares}`);
  figures.push(figure('mqtt-auth.rights-check', checkNs, 'ns/publish', null, {
    note: `identity lookup + topic rights of one publish, timed in process; share of a message's daemon CPU (anonymous runs): ${shares}`,
  }));
} finally {
  await daemon?.stop();
  data.remove();
}
emit(figures);
