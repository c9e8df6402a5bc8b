// The concentrator side of the burst benchmark (bench/mqtt-burst.ts), in its own process: one
// MQTT 3.1.1 connection per concentrator, all connected first, then every concentrator pushes its
// backlog at once — `quarters` quarter-hours of readings of each of its meters, `quartersPerMessage`
// quarter-hours a message (256 meters × 24 = 6,144 readings, as a concentrator's day arrives in
// four messages) — with `window` messages unacknowledged at most (1: send, wait for the PUBACK,
// send the next, as concentrators do). Prints one JSON result line: PUBACK latencies from the
// publish call (so they include any time the message waited unread in TCP buffers), the time of
// the last PUBACK, and readings per second.
import mqtt, { type MqttClient } from 'mqtt';
import { percentile } from '../lib/stats.js';
import { meterId } from '../lib/seed.js';

export interface BurstSpec {
  url: string;
  concentrators: Array<{ id: string; firstMeter: number; meters: number }>;
  quarters: number;
  /** the first quarter-hour's index (the warm-up publishes one before the burst's) */
  firstQuarter?: number;
  quartersPerMessage: number;
  window: number;
  /** every concentrator's MQTT password (user name = its id; bench/lib/seed.ts) */
  password: string;
}

export interface BurstResult {
  messages: number;
  readings: number;
  /** publishing start to the last PUBACK */
  lastAckS: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** per concentrator, the time of its last PUBACK: how evenly they were served */
  concentratorDoneP50S: number;
  concentratorDoneMaxS: number;
}

const QUARTER_HOUR = 900_000;
const T0 = Date.parse('2026-12-01T00:00:00+08:00');
const BASE_WH = 1_000_000;

function iso(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19) + '+08:00';
}

async function connect(url: string, id: string, password: string): Promise<MqttClient> {
  // A long keepalive: while the daemon does not read a connection (its turn has not come), its PINGREQ waits too.
  const client = mqtt.connect(url, {
    protocolVersion: 4, clientId: id, username: id, password, clean: true, reconnectPeriod: 0, keepalive: 300, connectTimeout: 120_000,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as BurstSpec;
  const clients: MqttClient[] = [];
  for (let i = 0; i < spec.concentrators.length; i += 50) {
    clients.push(...await Promise.all(spec.concentrators.slice(i, i + 50).map((c) => connect(spec.url, c.id, spec.password))));
  }
  process.stdout.write('{"publishing":true}\n');
  const latencies: number[] = [];
  const doneAt: number[] = [];
  let messages = 0;
  let readings = 0;
  let lastAck = 0;
  const t0 = performance.now();
  await Promise.all(spec.concentrators.map(async (c, n) => {
    const client = clients[n]!;
    const topic = `feikong/v1/concentrators/${c.id}/readings`;
    const addresses = Array.from({ length: c.meters }, (_, j) => meterId(c.firstMeter + j));
    const bodies = Math.ceil(spec.quarters / spec.quartersPerMessage);
    const body = (k: number) => {
      const parts: string[] = [];
      for (let q = k * spec.quartersPerMessage; q < Math.min(spec.quarters, (k + 1) * spec.quartersPerMessage); q++) {
        const quarter = q + (spec.firstQuarter ?? 0);
        const ts = iso(T0 + quarter * QUARTER_HOUR);
        const kwh = (BASE_WH + quarter * 100) / 1000;
        for (const a of addresses) parts.push(`{"meter":"${a}","ts":"${ts}","energyKwh":${kwh},"relay":"closed"}`);
      }
      return { text: `{"readings":[${parts.join(',')}]}`, count: parts.length };
    };
    let next = 0;
    const worker = async () => {
      while (next < bodies) {
        const { text, count } = body(next++);
        const sent = performance.now();
        await client.publishAsync(topic, text, { qos: 1 });
        const at = performance.now();
        latencies.push(at - sent);
        messages++;
        readings += count;
        lastAck = Math.max(lastAck, at);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, spec.window) }, worker));
    doneAt.push((performance.now() - t0) / 1000);
  }));
  await Promise.all(clients.map((c) => c.endAsync(true)));
  const result: BurstResult = {
    messages, readings, lastAckS: (lastAck - t0) / 1000,
    latencyP50Ms: percentile(latencies, 50), latencyP99Ms: percentile(latencies, 99), latencyMaxMs: Math.max(...latencies),
    concentratorDoneP50S: percentile(doneAt, 50), concentratorDoneMaxS: Math.max(...doneAt),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err) => {
  process.stderr.write(`burst publisher failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
