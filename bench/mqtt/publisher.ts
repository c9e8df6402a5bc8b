// The concentrator side of the MQTT ingest benchmark (bench/mqtt-ingest.ts), run as its own process so it never shares
// an event loop with the daemon it measures: one mqtt.js connection per concentrator, publishing
// readings messages at QoS 1 as fast as PUBACKs come back (at most `window` unacknowledged per
// connection), for `durationS` seconds. Prints one JSON result line. Argument: the spec as JSON.
//
// Every reading is new: meter j's k-th reading is at round0 + k quarter hours, 100 Wh more than
// the one before, so the daemon stores and charges each.
import mqtt, { type MqttClient } from 'mqtt';
import { percentile } from '../lib/stats.js';
import { meterId } from '../lib/seed.js';

export interface PublisherSpec {
  url: string;
  /** topic of each concentrator's messages, with {cid} in place of its id */
  topic: string;
  /** each concentrator's meters are the seeded meters firstMeter … firstMeter + meters - 1 (lib/seed.ts) */
  concentrators: Array<{ id: string; firstMeter: number; meters: number }>;
  readingsPerMessage: number;
  durationS: number;
  window: number;
  /** first quarter-hour index: runs after one another start past the previous ones */
  round0: number;
  protocolVersion: 4 | 5;
  /** every concentrator's MQTT password (user name = its id); absent: anonymous (the lab setting) */
  password?: string;
}

export interface PublisherResult {
  messages: number;
  readings: number;
  seconds: number;
  /** the round after the last one published: the next run's round0 */
  nextRound: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** CPU this publisher used over the run, % of one core */
  cpuPercent: number;
}

const QUARTER_HOUR = 900_000;
/** BENCH_READING_OFFSET_S moves every reading off the quarter hour (readings off the hour split at hourly band edges) */
const T0 = Date.parse('2026-01-01T00:00:00+08:00') + Number(process.env.BENCH_READING_OFFSET_S ?? 0) * 1000;
const BASE_WH = 1_000_000;

function iso(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19) + '+08:00';
}

async function connect(url: string, id: string, protocolVersion: 4 | 5, password: string | undefined): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    protocolVersion, clientId: `bench-${id}-${process.pid}`, clean: true, reconnectPeriod: 0, ...(password !== undefined ? { username: id, password } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      resolve();
    });
    client.once('error', reject);
  });
  return client;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as PublisherSpec;
  const clients = await Promise.all(spec.concentrators.map((c) => connect(spec.url, c.id, spec.protocolVersion, spec.password)));
  // Tells the benchmark to start its measurement of the daemon: publishing starts now.
  process.stdout.write('{"publishing":true}\n');
  const latencies: number[] = [];
  let messages = 0;
  let readings = 0;
  let maxRound = spec.round0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const end = t0 + spec.durationS * 1000;

  await Promise.all(spec.concentrators.map(async (c, n) => {
    const client = clients[n]!;
    const topic = spec.topic.replace('{cid}', c.id);
    const addresses = Array.from({ length: c.meters }, (_, j) => meterId(c.firstMeter + j));
    let next = 0; // reading counter of this concentrator: meter = next % meters, round = round0 + next / meters
    const tsCache = new Map<number, string>();
    const message = (): { body: string; count: number } => {
      const parts: string[] = [];
      for (let i = 0; i < spec.readingsPerMessage; i++, next++) {
        const round = spec.round0 + Math.floor(next / addresses.length);
        maxRound = Math.max(maxRound, round);
        let ts = tsCache.get(round);
        if (!ts) {
          tsCache.clear();
          tsCache.set(round, (ts = iso(T0 + round * QUARTER_HOUR)));
        }
        const wh = BASE_WH + round * 100;
        parts.push(`{"meter":"${addresses[next % addresses.length]}","ts":"${ts}","energyKwh":${wh / 1000},"relay":"closed"}`);
      }
      return { body: `{"readings":[${parts.join(',')}]}`, count: spec.readingsPerMessage };
    };
    await new Promise<void>((resolve) => {
      let inFlight = 0;
      const pump = () => {
        while (inFlight < spec.window && performance.now() < end) {
          const { body, count } = message();
          const sent = performance.now();
          inFlight++;
          client.publish(topic, body, { qos: 1 }, (err) => {
            inFlight--;
            const now = performance.now();
            if (!err && now <= end) {
              messages++;
              readings += count;
              if ((messages & 15) === 0) latencies.push(now - sent);
            }
            if (now < end) pump();
            else if (inFlight === 0) resolve();
          });
        }
        if (inFlight === 0) resolve();
      };
      pump();
    });
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const seconds = Math.min(spec.durationS, elapsed);
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  const result: PublisherResult = {
    messages, readings, seconds, nextRound: maxRound + 1,
    latencyP50Ms: percentile(latencies, 50), latencyP99Ms: percentile(latencies, 99),
    cpuPercent: ((cpu.user + cpu.system) / 1e6 / elapsed) * 100,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err) => {
  process.stderr.write(`mqtt publisher failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
