// The one table of targets, by figure name. A target bounds the figure's value, its ratio to the
// reference measured in the same run, or both; a figure with no entry is informational.

export interface Bound {
  min?: number;
  max?: number;
}

export interface Target {
  value?: Bound;
  ratio?: Bound;
  /** where the target comes from, printed under the table */
  why?: string;
}

export const TARGETS: Record<string, Target> = {
  'balance-get.rps': { value: { min: 50_000 }, ratio: { min: 0.7 }, why: 'full stack ≥ 50,000 req/s and ≥ 70 % of bare Fastify + SQLite' },
  'balance-get.p99': { value: { max: 5 }, why: 'p99 ≤ 5 ms at 100 connections' },
  'balance-batch.1000-ids.median': { value: { max: 10 } },
  'balance-batch.1000-ids.p99': { value: { max: 10 } },
  'scale.memory-per-meter': { value: { max: 2048 }, why: 'ThingsBoard publishes ~66 KB per device' },
  'scale.db-bytes-per-reading': { value: { max: 30 } },
  'scale.startup-1m-accounts': { value: { max: 5000 } },
  // Targets the other benchmarks state in their own headers.
  'engine_sweep_ms': { value: { max: 2000 }, why: 'full sweep of 1,000,000 accounts' },
  'restore_payment_to_wire_p99_ms': { value: { max: 100 } },
  'restore_payment_to_confirmed_p99_ms': { ratio: { max: 1 }, why: '≤ one bus round trip + 100 ms (the reference)' },
  'restore_esam_payment_to_wire_p99_ms': { ratio: { max: 1 }, why: '≤ 100 ms + the authentication exchange\'s line time (the reference)' },
  'mqtt-ingest.batched-100.throughput': { value: { min: 100_000 } },
  'mqtt-ingest.unbatched.throughput': { value: { min: 20_000 } },
  'mqtt-burst.puback-p99': { value: { max: 5000 }, why: 'p99 ≤ 5 s as the concentrators see it (from the publish call)' },
  'mqtt-burst.daemon-ack-p99': { value: { max: 5000 }, why: 'mqtt.ingest.ackLatencyBoundMs: message read to PUBACK' },
  'mqtt-burst.rss-peak': { value: { max: 1024 }, why: 'the burst in at most 1 GB' },
  'mqtt-burst.rss-after': { ratio: { max: 1.2 }, why: 'within 20 % of idle one minute after the burst' },
  'mqtt-burst.readings-per-s': { value: { min: 80_000 } },
  'http-overload.healthz.p99': { value: { max: 1000 }, why: '/healthz p99 ≤ 1 s under 500 connections without API keys for 30 s' },
  'mqtt-auth.batched-100.throughput': { ratio: { min: 0.95 }, why: 'authentication and topic rights cost at most 5 % of the ingest rate (reference: anonymous, unchecked)' },
  'mqtt-auth.unbatched.throughput': { ratio: { min: 0.95 } },
};

/** "≥ 50,000; ratio ≥ 0.7" */
export function describeTarget(t: Target | undefined): string {
  if (!t) return '';
  const parts: string[] = [];
  const fmt = (b: Bound, prefix: string) => {
    if (b.min !== undefined) parts.push(`${prefix}≥ ${b.min.toLocaleString('en-US')}`);
    if (b.max !== undefined) parts.push(`${prefix}≤ ${b.max.toLocaleString('en-US')}`);
  };
  if (t.value) fmt(t.value, '');
  if (t.ratio) fmt(t.ratio, 'ratio ');
  return parts.join('; ');
}

function within(x: number | null, b: Bound | undefined): boolean {
  if (!b) return true;
  if (x === null || Number.isNaN(x)) return false;
  return (b.min === undefined || x >= b.min) && (b.max === undefined || x <= b.max);
}

/** true/false against the target, null when the figure has none. */
export function meets(t: Target | undefined, value: number, ratio: number | null): boolean | null {
  if (!t) return null;
  return within(value, t.value) && within(ratio, t.ratio);
}
