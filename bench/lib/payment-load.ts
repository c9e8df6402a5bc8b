// Payments under load: the load generator (payment-load-worker.ts) in its own process posting a
// distinct payment per request (its own channel transaction id) over the seeded accounts, against
// one daemon or several (connections split evenly between them), with the daemons' CPU — and any
// other processes', e.g. the database server's — sampled over the loaded interval.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnTs } from './daemon.js';
import { sampleCpu } from './cpu-group.js';
import { tempDir } from './seed.js';

export interface PaymentLoad {
  /** the daemons' base URLs; connections go round-robin over them */
  urls: string[];
  /** a billing key's Bearer secret, valid on every daemon */
  key: string;
  /** channel transaction ids are `${prefix}-${n}`: a new prefix per run keeps every payment new */
  prefix: string;
  accounts: number;
  connections: number;
  durationS: number;
}

export interface PaymentLoadResult { ok: number; seconds: number; p99Ms: number; failed: number; cpuPercent: number }

export interface PaymentRun {
  /** payments acknowledged (2xx) */
  payments: number;
  perSecond: number;
  p99Ms: number;
  /** the daemons' CPU per payment, µs */
  cpuUs: number;
  /** the load generator's CPU, % of one core */
  loadgenCpu: number;
  /** CPU per payment of the other sampled processes together, µs (NaN when none) */
  otherCpuUs: number;
}

/** One loaded interval: payments per second, p99, and CPU per payment of `daemonPids` and `otherPids`. */
export async function measurePayments(load: PaymentLoad, daemonPids: number[], otherPids: number[] = []): Promise<PaymentRun> {
  const dir = tempDir('payments-load');
  const file = join(dir.dir, 'spec.json');
  writeFileSync(file, JSON.stringify(load));
  const child = spawnTs('bench/lib/payment-load-worker.ts', [file]);
  let out = '';
  let err = '';
  let samplers: { daemons: { stop(): number }; others: { stop(): number } } | null = null;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (!samplers && out.includes('"started":true')) samplers = { daemons: sampleCpu(daemonPids), others: sampleCpu(otherPids) };
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  const s = samplers as { daemons: { stop(): number }; others: { stop(): number } } | null;
  const cpu = s?.daemons.stop() ?? NaN;
  const other = s?.others.stop() ?? NaN;
  dir.remove();
  if (code !== 0) throw new Error(`load generator exited with ${code}: ${err}`);
  const r = JSON.parse(out.trim().split('\n').pop()!) as PaymentLoadResult;
  if (r.failed > 0) throw new Error(`${r.failed} payments failed; the figures would be meaningless`);
  const perPayment = (percent: number) => ((percent / 100) * r.seconds * 1e6) / r.ok;
  return { payments: r.ok, perSecond: r.ok / r.seconds, p99Ms: r.p99Ms, cpuUs: perPayment(cpu), loadgenCpu: r.cpuPercent, otherCpuUs: perPayment(other) };
}

/** Payments per group commit so far, over the daemons' /metrics together. */
export async function paymentGroupSize(urls: string[]): Promise<number> {
  let sum = 0;
  let count = 0;
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    sum += Number(/^feikong_payment_group_size_sum (\S+)/m.exec(text)?.[1]);
    count += Number(/^feikong_payment_group_size_count (\S+)/m.exec(text)?.[1]);
  }
  return sum / count;
}
