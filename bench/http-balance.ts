// Balance GET through the full stack (auth, schemas, repositories, views) at 100 connections,
// against the bare stack (Fastify + one prepared better-sqlite3 read, no auth) measured in the same
// run on the same data. Daemon, bare server and load generator are three processes; bare and full
// runs alternate so machine noise hits both alike.
import { emit, figure, log, size } from './lib/figures.js';
import { median, spread } from './lib/stats.js';
import { emptyRuns, measureInto, randomPaths, type HttpRuns } from './lib/load.js';
import { startDaemonProcess } from './lib/daemon.js';
import { startBareServer } from './lib/bare.js';
import { accountId, seedFleet, tempDir } from './lib/seed.js';

const accounts = size(100_000, 1_000);
const runs = size(3, 1);
const durationS = size(10, 1);
const warmupS = size(3, 0);
const connections = 100;

/** GET /v1/balances/{id} where the daemon has it, else GET /v1/accounts/{id}. */
async function balancePath(url: string, key: string): Promise<string> {
  const res = await fetch(`${url}/v1/balances/${accountId(0)}`, { headers: { authorization: `Bearer ${key}` } });
  await res.arrayBuffer();
  return res.status === 200 ? '/v1/balances/' : '/v1/accounts/';
}

const data = tempDir('http-balance');
try {
  const seeded = seedFleet(data.dir, accounts);
  log(`seeded ${accounts} accounts in ${seeded.seedMs.toFixed(0)} ms`);
  // The periodic engine sweep is a separate workload (engine-sweep.ts): keep it out of these runs.
  // The per-key rate limit stays on (its bookkeeping is part of the stack) at its highest setting.
  const daemon = await startDaemonProcess({
    dataDir: data.dir, env: { FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '3600000', FEIKONG_HTTP__RATE_LIMIT__MAX: '10000000' },
  });
  const bare = await startBareServer(data.dir);
  try {
    const prefix = await balancePath(daemon.url, seeded.keys.readOnly);
    const paths = randomPaths(prefix, accountId, accounts);
    const full = { url: daemon.url, paths, connections, durationS, headers: { authorization: `Bearer ${seeded.keys.readOnly}` } };
    const ref = { url: bare.url, paths: randomPaths('/v1/accounts/', accountId, accounts), connections, durationS };
    if (warmupS > 0) {
      await measureInto(emptyRuns(), { ...ref, durationS: warmupS }, bare.pid);
      await measureInto(emptyRuns(), { ...full, durationS: warmupS }, daemon.pid);
    }
    const f: HttpRuns = emptyRuns();
    const b: HttpRuns = emptyRuns();
    for (let i = 0; i < runs; i++) {
      const rb = await measureInto(b, ref, bare.pid);
      const rf = await measureInto(f, full, daemon.pid);
      log(`run ${i + 1}/${runs}: bare ${rb.rps.toFixed(0)} req/s p99 ${rb.p99Ms} ms (CPU ${rb.serverCpu.toFixed(0)} %, ${rb.serverCpuUs.toFixed(0)} µs/req) | `
        + `full ${rf.rps.toFixed(0)} req/s p99 ${rf.p99Ms} ms (CPU ${rf.serverCpu.toFixed(0)} %, ${rf.serverCpuUs.toFixed(0)} µs/req, generator ${rf.loadgenCpu.toFixed(0)} %)`);
    }
    const note = `GET ${prefix}{id}, ${connections} connections, ${accounts} accounts, random ids, read-only key`;
    emit([
      figure('balance-get.rps', median(f.rps), 'req/s', median(b.rps), { spread: spread(f.rps, 0), note }),
      figure('balance-get.p99', median(f.p99Ms), 'ms', median(b.p99Ms), { spread: spread(f.p99Ms) }),
      figure('balance-get.p50', median(f.p50Ms), 'ms', median(b.p50Ms), { spread: spread(f.p50Ms) }),
      figure('balance-get.cpu-per-request', median(f.serverCpuUs), 'µs', median(b.serverCpuUs), { spread: spread(f.serverCpuUs, 0) }),
      figure('balance-get.daemon-cpu', median(f.serverCpu), '% core', median(b.serverCpu), { spread: spread(f.serverCpu, 0) }),
      figure('balance-get.loadgen-cpu', median(f.loadgenCpu), '% core', null, { spread: spread(f.loadgenCpu, 0) }),
    ]);
  } finally {
    await bare.stop();
    await daemon.stop();
  }
} finally {
  data.remove();
}
