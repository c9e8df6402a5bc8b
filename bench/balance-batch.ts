// Batch balance query: POST /v1/balances/query with 1,000 random account ids, one request at a
// time (unloaded latency), through the full stack in a daemon process; and the repository query
// alone (repos.accounts.balances) in this process on the same database, to show the share the
// database takes. Falls back to the repository figure only where the endpoint is absent.
import { emit, figure, log, size, type Figure } from './lib/figures.js';
import { median, percentile, spread } from './lib/stats.js';
import { startDaemonProcess } from './lib/daemon.js';
import { accountId, seedFleet, tempDir } from './lib/seed.js';
import { openDatabase } from '../src/db/connection.js';
import { createRepositories } from '../src/db/repo/index.js';

const accounts = size(100_000, 2_000);
const batch = 1_000;
const requests = size(300, 20);
const warmup = size(30, 3);
const runs = size(3, 1);

let x = 0x9e3779b9;
function randomIds(): string[] {
  const ids: string[] = [];
  for (let i = 0; i < batch; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    ids.push(accountId((x >>> 0) % accounts));
  }
  return ids;
}

/** Milliseconds per request for `n` sequential queries. */
async function httpRun(url: string, key: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify({ accountIds: randomIds() });
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/balances/query`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body,
    });
    const text = await res.text();
    out.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`POST /v1/balances/query: ${res.status} ${text.slice(0, 300)}`);
  }
  return out;
}

const data = tempDir('batch');
const figures: Figure[] = [];
try {
  const seeded = seedFleet(data.dir, accounts);
  const daemon = await startDaemonProcess({
    dataDir: data.dir, env: { FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '3600000', FEIKONG_HTTP__RATE_LIMIT__MAX: '10000000' },
  });
  try {
    const probe = await fetch(`${daemon.url}/v1/balances/query`, {
      method: 'POST', headers: { authorization: `Bearer ${seeded.keys.billing}`, 'content-type': 'application/json' },
      body: JSON.stringify({ accountIds: [accountId(0)] }),
    });
    await probe.arrayBuffer();
    if (probe.status === 200) {
      await httpRun(daemon.url, seeded.keys.billing, warmup);
      const medians: number[] = [];
      const p99s: number[] = [];
      for (let r = 0; r < runs; r++) {
        const ms = await httpRun(daemon.url, seeded.keys.billing, requests);
        medians.push(median(ms));
        p99s.push(percentile(ms, 99));
        log(`http run ${r + 1}/${runs}: median ${median(ms).toFixed(2)} ms, p99 ${percentile(ms, 99).toFixed(2)} ms`);
      }
      const note = `POST /v1/balances/query, ${batch} random ids of ${accounts} accounts, one request at a time, ${requests} requests a run`;
      figures.push(figure('balance-batch.1000-ids.median', median(medians), 'ms', null, { spread: spread(medians, 2), note }));
      figures.push(figure('balance-batch.1000-ids.p99', median(p99s), 'ms', null, { spread: spread(p99s, 2) }));
    } else {
      log(`POST /v1/balances/query answered ${probe.status}: measuring the repository query only`);
    }
  } finally {
    await daemon.stop();
  }

  // The repository query alone, in process.
  const db = openDatabase(data.dir);
  const repos = createRepositories(db);
  for (let i = 0; i < warmup; i++) repos.accounts.balances(randomIds());
  const medians: number[] = [];
  for (let r = 0; r < runs; r++) {
    const ms: number[] = [];
    for (let i = 0; i < requests; i++) {
      const ids = randomIds();
      const t0 = performance.now();
      const rows = repos.accounts.balances(ids);
      ms.push(performance.now() - t0);
      if (rows.length === 0) throw new Error('balances() found none of the seeded accounts');
    }
    medians.push(median(ms));
  }
  db.close();
  const repoName = figures.length > 0 ? 'balance-batch.repo-1000-ids.median' : 'balance-batch.1000-ids.median';
  figures.push(figure(repoName, median(medians), 'ms', null, {
    spread: spread(medians, 2), note: 'repos.accounts.balances(1,000 ids) in process: one prepared SELECT … IN json_each(?)',
  }));
} finally {
  data.remove();
}
emit(figures);
