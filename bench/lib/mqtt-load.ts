// Readings over MQTT under load: the publisher (bench/mqtt/publisher.ts) in its own process, one
// QoS 1 connection per concentrator of the seeded fleet (seed.ts: 256 meters each), with the
// daemon's CPU and RSS, and other processes' CPU, sampled from the moment it starts publishing.
// Successive runs publish later quarter hours, so every reading is new.
import { spawnTs } from './daemon.js';
import { sampleCpu } from './cpu-group.js';
import { sampleProcess } from './proc.js';
import { METERS_PER_CONCENTRATOR } from './seed.js';
import type { PublisherResult, PublisherSpec } from '../mqtt/publisher.js';

export interface PublishRun {
  result: PublisherResult;
  readingsPerSecond: number;
  messagesPerSecond: number;
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

export class ReadingsPublisher {
  private round = 1;

  constructor(private readonly url: string, private readonly concentrators: PublisherSpec['concentrators']) {}

  /**
   * Publishes for `seconds` on `topic` ({cid} = the concentrator), `window` unacknowledged per
   * connection, sampling the daemon and `otherPids` (e.g. its database server's processes).
   */
  async run(topic: string, readingsPerMessage: number, window: number, seconds: number, daemonPid: number, otherPids: number[] = []): Promise<PublishRun> {
    const spec: PublisherSpec = {
      url: this.url, topic, concentrators: this.concentrators, readingsPerMessage, durationS: seconds, window, round0: this.round, protocolVersion: 4,
    };
    const child = spawnTs('bench/mqtt/publisher.ts', [JSON.stringify(spec)]);
    let out = '';
    let err = '';
    let daemon: ReturnType<typeof sampleProcess> | null = null;
    let others: ReturnType<typeof sampleCpu> | null = null;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!daemon && out.includes('"publishing":true')) {
        daemon = sampleProcess(daemonPid);
        others = sampleCpu(otherPids);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    const d = (daemon as ReturnType<typeof sampleProcess> | null)?.stop() ?? { cpuPercent: NaN, rssPeakBytes: NaN };
    const otherCpu = (others as ReturnType<typeof sampleCpu> | null)?.stop() ?? NaN;
    if (code !== 0) throw new Error(`publisher exited with ${code}: ${err}`);
    const result = JSON.parse(out.trim().split('\n').pop()!) as PublisherResult;
    this.round = Math.max(this.round, result.nextRound);
    return {
      result, readingsPerSecond: result.readings / result.seconds, messagesPerSecond: result.messages / result.seconds,
      daemonCpu: d.cpuPercent, daemonRssMb: d.rssPeakBytes / 1e6, publisherCpu: result.cpuPercent, otherCpu,
    };
  }
}
