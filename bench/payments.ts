// POST /v1/payments under 100 concurrent connections, each request a distinct payment (its own
// channel transaction id) over the seeded accounts: payments per second, p99 latency and daemon
// CPU per payment, with group commit (the daemon's default) against the same daemon posting each
// payment in its own transaction (ledger.groupCommit=false), measured in the same run, alternating,
// so machine noise hits both alike. Durable when acknowledged: synchronous=FULL, the figures
// include the fsync. Target: ≥ 10,000 payments/s with p99 ≤ 20 ms on a 2-core machine.
//
//   bench process ── seeds two data directories (bench/lib/seed.ts)
//     ├─ spawns two daemons (bench/lib/daemon.ts): group commit on / off
//     └─ spawns the load generator (bench/lib/payment-load-worker.ts): autocannon, distinct bodies
//
// Runnable alone: `npx tsx bench/payments.ts` (BENCH_SMOKE=1 for a seconds-long run). One JSON
// line per figure at the end: {"name","value","unit","reference","ratio"}, reference = one
// transaction per payment.
import { emit, figure, log, size } from './lib/figures.js';
import { median, spread } from './lib/stats.js';
import { startDaemonProcess, type DaemonProcess } from './lib/daemon.js';
import { measurePayments, paymentGroupSize, type PaymentRun } from './lib/payment-load.js';
import { seedFleet, tempDir } from './lib/seed.js';

const accounts = size(10_000, 100);
const runs = size(3, 1);
const durationS = size(5, 1);
const warmupS = size(2, 0);
const connections = 100;

/** One loaded interval against a daemon, the daemon's CPU sampled over it. */
function measure(daemon: DaemonProcess, key: string, prefix: string, seconds: number): Promise<PaymentRun> {
  return measurePayments({ urls: [daemon.url], key, prefix, accounts, connections, durationS: seconds }, [daemon.pid]);
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
    const g: PaymentRun[] = [];
    const s: PaymentRun[] = [];
    for (let i = 0; i < runs; i++) {
      const rs = await measure(single, keys.single, `run${i}`, durationS);
      const rg = await measure(grouped, keys.grouped, `run${i}`, durationS);
      s.push(rs);
      g.push(rg);
      log(`run ${i + 1}/${runs}: group commit ${rg.perSecond.toFixed(0)}/s p99 ${rg.p99Ms} ms ${rg.cpuUs.toFixed(0)} µs CPU/payment `
        + `(generator ${rg.loadgenCpu.toFixed(0)} %) | one commit each ${rs.perSecond.toFixed(0)}/s p99 ${rs.p99Ms} ms ${rs.cpuUs.toFixed(0)} µs`);
    }
    const perCommit = await paymentGroupSize([grouped.url]);
    const pick = (runsOf: PaymentRun[], k: keyof PaymentRun) => runsOf.map((r) => r[k]);
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

main().catch((err) => {
  process.stderr.write(`payments bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
