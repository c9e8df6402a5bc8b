// POST /v1/payments under 100 concurrent connections, each request a distinct payment (its own
// channel transaction id) over the seeded accounts: payments per second, p99 latency and daemon
// CPU per payment, with group commit (the daemon's default) against the same daemon posting each
// payment in its own transaction (ledger.groupCommit=false), measured in the same run, alternating,
// so machine noise hits both alike. Durable when acknowledged: synchronous=FULL, the figures
// include the fsync. Target: ≥ 10,000 payments/s with p99 ≤ 20 ms on a 2-core machine.
//
//   bench process ── seeds two data directories (bench/lib/seed.ts)
//     ├─ spawns two daemons (bench/lib/daemon.ts): group commit on / off
//     └─ spawns this file again as the load generator (--load-worker): autocannon, distinct bodies
//
// Runnable alone: `npx tsx bench/payments.ts` (BENCH_SMOKE=1 for a seconds-long run). One JSON
// line per figure at the end: {"name","value","unit","reference","ratio"}, reference = one
// transaction per payment.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { emit, figure, log, size } from './lib/figures.js';
import { median, spread } from './lib/stats.js';
import { startDaemonProcess, spawnTs, type DaemonProcess } from './lib/daemon.js';
import { sampleProcess } from './lib/proc.js';
import { accountId, seedFleet, tempDir } from './lib/seed.js';

const accounts = size(10_000, 100);
const runs = size(3, 1);
const durationS = size(5, 1);
const warmupS = size(2, 0);
const connections = 100;

interface WorkerSpec { url: string; key: string; prefix: string; accounts: number; connections: number; durationS: number }
interface WorkerResult { ok: number; seconds: number; p99Ms: number; failed: number; cpuPercent: number }
interface Run { perSecond: number; p99Ms: number; cpuUs: number; loadgenCpu: number }

/** The load generator: autocannon posting a new payment per request; prints one JSON result. */
function loadWorker(spec: WorkerSpec): void {
  let n = 0;
  let cpuAtStart = process.cpuUsage();
  const instance = autocannon({
    url: `${spec.url}/v1/payments`, connections: spec.connections, duration: spec.durationS, method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${spec.key}` },
    requests: [{
      setupRequest: (req) => {
        n++;
        const body = JSON.stringify({ accountId: accountId(n % spec.accounts), channel: 'wechat', channelTxnId: `${spec.prefix}-${n}`, amountFen: 100 + (n % 900) });
        return { ...req, method: 'POST', body };
      },
    }],
  }, (err, result) => {
    if (err) {
      process.stderr.write(`load generator failed: ${err.message}\n`);
      process.exit(1);
    }
    const cpu = process.cpuUsage(cpuAtStart);
    const r = result as typeof result & { '2xx': number };
    const out: WorkerResult = {
      ok: r['2xx'], seconds: result.duration, p99Ms: result.latency.p99, failed: result.non2xx + result.errors + result.timeouts,
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / result.duration) * 100,
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  });
  instance.on('start', () => {
    cpuAtStart = process.cpuUsage();
    process.stdout.write('{"started":true}\n');
  });
}

/** One loaded interval against a daemon, the daemon's CPU sampled over it. */
async function measure(daemon: DaemonProcess, key: string, prefix: string, seconds: number): Promise<Run> {
  const dir = tempDir('payments-load');
  const file = join(dir.dir, 'spec.json');
  writeFileSync(file, JSON.stringify({ url: daemon.url, key, prefix, accounts, connections, durationS: seconds } satisfies WorkerSpec));
  const child = spawnTs('bench/payments.ts', ['--load-worker', file]);
  let out = '';
  let err = '';
  let sampler: ReturnType<typeof sampleProcess> | null = null;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (!sampler && out.includes('"started":true')) sampler = sampleProcess(daemon.pid);
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  const server = (sampler as ReturnType<typeof sampleProcess> | null)?.stop();
  dir.remove();
  if (code !== 0) throw new Error(`load generator exited with ${code}: ${err}`);
  const r = JSON.parse(out.trim().split('\n').pop()!) as WorkerResult;
  if (r.failed > 0) throw new Error(`${r.failed} payments failed; the figures would be meaningless`);
  const cpu = server?.cpuPercent ?? NaN;
  return { perSecond: r.ok / r.seconds, p99Ms: r.p99Ms, cpuUs: ((cpu / 100) * r.seconds * 1e6) / r.ok, loadgenCpu: r.cpuPercent };
}

async function groupSize(daemon: DaemonProcess): Promise<number> {
  const text = await (await fetch(`${daemon.url}/metrics`)).text();
  const sum = Number(/^feikong_payment_group_size_sum (\S+)/m.exec(text)?.[1]);
  const count = Number(/^feikong_payment_group_size_count (\S+)/m.exec(text)?.[1]);
  return sum / count;
}

async function main(): Promise<void> {
  const dirs = { grouped: tempDir('payments-grouped'), single: tempDir('payments-single') };
  const keys = { grouped: seedFleet(dirs.grouped.dir, accounts).keys.billing, single: seedFleet(dirs.single.dir, accounts).keys.billing };
  // The engine's periodic sweep is its own workload (engine-sweep.ts); the per-key limit is at its highest.
  const env = { FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '3600000', FEIKONG_HTTP__RATE_LIMIT__MAX: '10000000' };
  const grouped = await startDaemonProcess({ dataDir: dirs.grouped.dir, env });
  const single = await startDaemonProcess({ dataDir: dirs.single.dir, env: { ...env, FEIKONG_LEDGER__GROUP_COMMIT: 'false' } });
  try {
    if (warmupS > 0) {
      await measure(grouped, keys.grouped, 'warm', warmupS);
      await measure(single, keys.single, 'warm', warmupS);
    }
    const g: Run[] = [];
    const s: Run[] = [];
    for (let i = 0; i < runs; i++) {
      const rs = await measure(single, keys.single, `run${i}`, durationS);
      const rg = await measure(grouped, keys.grouped, `run${i}`, durationS);
      s.push(rs);
      g.push(rg);
      log(`run ${i + 1}/${runs}: group commit ${rg.perSecond.toFixed(0)}/s p99 ${rg.p99Ms} ms ${rg.cpuUs.toFixed(0)} µs CPU/payment `
        + `(generator ${rg.loadgenCpu.toFixed(0)} %) | one commit each ${rs.perSecond.toFixed(0)}/s p99 ${rs.p99Ms} ms ${rs.cpuUs.toFixed(0)} µs`);
    }
    const perCommit = await groupSize(grouped);
    const pick = (runsOf: Run[], k: keyof Run) => runsOf.map((r) => r[k]);
    const note = `POST /v1/payments, ${connections} connections, ${accounts} accounts, distinct payments; reference: one transaction per payment`;
    emit([
      figure('payments.rps', Math.round(median(pick(g, 'perSecond'))), 'payments/s', Math.round(median(pick(s, 'perSecond'))), { spread: spread(pick(g, 'perSecond'), 0), note }),
      figure('payments.p99', median(pick(g, 'p99Ms')), 'ms', median(pick(s, 'p99Ms')), { spread: spread(pick(g, 'p99Ms')) }),
      figure('payments.cpu-per-payment', Math.round(median(pick(g, 'cpuUs'))), 'µs', Math.round(median(pick(s, 'cpuUs'))), { spread: spread(pick(g, 'cpuUs'), 0) }),
      figure('payments.per-commit', Math.round(perCommit * 10) / 10, 'payments', 1),
    ]);
  } finally {
    await grouped.stop();
    await single.stop();
    dirs.grouped.remove();
    dirs.single.remove();
  }
}

const workerAt = process.argv.indexOf('--load-worker');
if (workerAt >= 0) {
  loadWorker(JSON.parse(readFileSync(process.argv[workerAt + 1]!, 'utf8')) as WorkerSpec);
} else {
  main().catch((err) => {
    process.stderr.write(`payments bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
