// Readings over MQTT under load: the publisher (bench/mqtt/publisher.ts) in its own process, one
// QoS 1 connection per concentrator of the seeded fleet (seed.ts: 256 meters each), with the
// daemon's CPU and RSS, and other processes' CPU, sampled from the moment it starts publishing.
// Successive runs publish later quarter hours, so every reading is new.
//
// The daemon acknowledges a reading once it is committed as pending and charges it soon after
// (src/ledger/pending-charging.ts): the sustained rate is the readings PUBACKed in a run less the
// growth of its pending backlog (feikong_readings_pending before and after the run), so a backlog
// charging has not worked off does not count.
import { spawnTs } from './daemon.js';
import { sampleCpu } from './cpu-group.js';
import { sampleProcess } from './proc.js';
import { BENCH_MQTT_PASSWORD, METERS_PER_CONCENTRATOR } from './seed.js';
import type { PublisherResult, PublisherSpec } from '../mqtt/publisher.js';

export interface PublishRun {
  result: PublisherResult;
  /** sustained: PUBACKed less the growth of the pending backlog, per second */
  readingsPerSecond: number;
  messagesPerSecond: number;
  /** growth of the daemon's pending readings over the run */
  pendingGrowth: number;
  /** readings charged per meter per charging transaction over the run (NaN when none) */
  readingsPerMeterCharge: number;
  /** share (0–1) of the readings charged in the run whose interval was split by time (docs/charging.md) */
  splitShare: number;
  /** the daemon's CPU over the run, % of one core */
  daemonCpu: number;
  daemonRssMb: number;
  publisherCpu: number;
  /** the other sampled processes' CPU together, % of one core (NaN when none) */
  otherCpu: number;
}

/** The concentrators of a fleet of `meters` seeded meters. */
export function concentratorsOf(meters: number): PublisherSpec['concentrators'] {
  return Array.from({ length: Math.ceil(meters / METERS_PER_CONCENTRATOR) }, (_, c) => ({
    id: `dcu-${c}`, firstMeter: c * METERS_PER_CONCENTRATOR, meters: Math.min(METERS_PER_CONCENTRATOR, meters - c * METERS_PER_CONCENTRATOR),
  }));
}

/** What the daemon's metrics say of its pending readings and of charging them. */
interface ChargingState {
  /** acknowledged, not yet charged */
  pending: number;
  /** readings charged (stored) so far */
  stored: number;
  /** meters charged so far, one per meter per charging transaction */
  meters: number;
  /** readings charged so far whose interval was split by time */
  split: number;
}

async function chargingState(daemonUrl: string): Promise<ChargingState> {
  const text = await (await fetch(`${daemonUrl}/metrics`)).text();
  const value = (pattern: RegExp, required: boolean) => {
    const match = pattern.exec(text);
    if (!match && required) throw new Error(`${pattern.source} missing from the daemon's /metrics`);
    return match ? Number(match[1]) : 0;
  };
  return {
    pending: value(/^feikong_readings_pending (\d+)/m, true),
    stored: value(/^feikong_readings_total\{source="mqtt",result="stored"\} (\d+)/m, false),
    meters: value(/^feikong_charging_meters_sum (\d+)/m, false),
    split: value(/^feikong_readings_split_total\{source="mqtt"\} (\d+)/m, false),
  };
}

export class ReadingsPublisher {
  private round = 1;

  /** the concentrators' MQTT password (seed.ts); null: they connect anonymously (mqtt.auth.allowAnonymous) */
  password: string | null = BENCH_MQTT_PASSWORD;

  constructor(private readonly url: string, private readonly concentrators: PublisherSpec['concentrators']) {}

  /**
   * Publishes for `seconds` on `topic` ({cid} = the concentrator), `window` unacknowledged per
   * connection, sampling the daemon and `otherPids` (e.g. its database server's processes).
   */
  async run(topic: string, readingsPerMessage: number, window: number, seconds: number, daemon: { pid: number; url: string }, otherPids: number[] = []): Promise<PublishRun> {
    const before = await chargingState(daemon.url);
    const spec: PublisherSpec = {
      url: this.url, topic, concentrators: this.concentrators, readingsPerMessage, durationS: seconds, window, round0: this.round, protocolVersion: 4,
      ...(this.password !== null ? { password: this.password } : {}),
    };
    const child = spawnTs('bench/mqtt/publisher.ts', [JSON.stringify(spec)]);
    let out = '';
    let err = '';
    let sampled: ReturnType<typeof sampleProcess> | null = null;
    let others: ReturnType<typeof sampleCpu> | null = null;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!sampled && out.includes('"publishing":true')) {
        sampled = sampleProcess(daemon.pid);
        others = sampleCpu(otherPids);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    const d = (sampled as ReturnType<typeof sampleProcess> | null)?.stop() ?? { cpuPercent: NaN, rssPeakBytes: NaN };
    const otherCpu = (others as ReturnType<typeof sampleCpu> | null)?.stop() ?? NaN;
    if (code !== 0) throw new Error(`publisher exited with ${code}: ${err}`);
    const result = JSON.parse(out.trim().split('\n').pop()!) as PublisherResult;
    this.round = Math.max(this.round, result.nextRound);
    const after = await chargingState(daemon.url);
    const pendingGrowth = after.pending - before.pending;
    const sustained = (result.readings - pendingGrowth) / result.seconds;
    const readingsPerMeterCharge = after.meters > before.meters ? (after.stored - before.stored) / (after.meters - before.meters) : NaN;
    const splitShare = after.stored > before.stored ? (after.split - before.split) / (after.stored - before.stored) : NaN;
    return {
      result, readingsPerSecond: sustained, messagesPerSecond: sustained / readingsPerMessage, pendingGrowth, readingsPerMeterCharge, splitShare,
      daemonCpu: d.cpuPercent, daemonRssMb: d.rssPeakBytes / 1e6, publisherCpu: result.cpuPercent, otherCpu,
    };
  }
}
