// Payments per second and p99 latency of POST /v1/payments under 100 concurrent connections, each
// request a distinct payment (its own channel transaction id) over 1,000 accounts. Durable when
// acknowledged: the daemon runs with synchronous=FULL, so the figures include the fsync.
//
//   bench process ── prepares the data directory (accounts, a billing key), then
//     ├─ spawns the daemon (node + tsx, src/main.ts) on a free loopback port
//     └─ runs autocannon against it, several runs, and prints the median of each figure
//
// Runnable alone: `npx tsx bench/payments.ts [--runs 3] [--seconds 5] [--connections 100]
// [--no-group-commit]`. One JSON line per figure: {"name","value","unit","reference","ratio"}
// where ratio = value / reference (≥ 1 is good for throughput, ≤ 1 is good for latency).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { openDatabase } from '../src/db/connection.js';
import { createRepositories } from '../src/db/repo/index.js';
import { validateConfig } from '../src/config/load.js';
import { createAccount } from '../src/fleet.js';
import { createApiKey } from '../src/http/auth.js';

/** The part of autocannon's API used here (the package ships no type declarations). */
interface CannonRequest { method: string; headers: Record<string, string>; body?: string; setupRequest(r: { body?: string }): { body?: string } }
interface CannonResult {
  '2xx': number; non2xx: number; errors: number; timeouts: number; duration: number; latency: { p99: number };
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: {
  url: string; connections: number; duration: number; requests: CannonRequest[];
}) => Promise<CannonResult>;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ACCOUNTS = 1000;
const REFERENCE_PER_SECOND = 10_000;
const REFERENCE_P99_MS = 20;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const runs = arg('runs', 3);
const seconds = arg('seconds', 5);
const connections = arg('connections', 100);
const groupCommit = !process.argv.includes('--no-group-commit');

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** Accounts and a billing key, written before the daemon opens the database. */
function prepare(dataDir: string): string {
  const config = validateConfig({ dataDir });
  const db = openDatabase(dataDir);
  const repos = createRepositories(db);
  const now = Date.now();
  repos.transaction(() => {
    for (let i = 0; i < ACCOUNTS; i++) createAccount(repos, config, { id: `bench-${i}`, name: `Bench ${i}` }, 'bench', now);
  });
  const { secret } = createApiKey(repos, 'bench-billing', 'billing', now);
  db.close();
  return secret;
}

async function startDaemon(dataDir: string, port: number): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FEIKONG_DATA_DIR: dataDir,
    FEIKONG_HTTP__PORT: String(port),
    FEIKONG_MQTT__EMBEDDED_PORT: '0',
    FEIKONG_LOG__LEVEL: 'warn',
    // One billing key posts everything here; a per-key limit would measure the limiter.
    FEIKONG_HTTP__RATE_LIMIT__MAX: '0',
  };
  if (!groupCommit) env.FEIKONG_LEDGER__GROUP_COMMIT = 'false';
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts')], { cwd: ROOT, env, stdio: ['ignore', process.env.FK_BENCH_LOG ? 'inherit' : 'ignore', 'inherit'] });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode} during start-up`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return child;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error('daemon not ready within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

interface RunResult { perSecond: number; p99Ms: number; failed: number }

async function run(url: string, key: string, runNo: number, durationS: number): Promise<RunResult> {
  let n = 0;
  const result = await autocannon({
    url: `${url}/v1/payments`,
    connections,
    duration: durationS,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      setupRequest(request) {
        n++;
        request.body = JSON.stringify({ accountId: `bench-${n % ACCOUNTS}`, channel: 'wechat', channelTxnId: `r${runNo}-${n}`, amountFen: 100 + (n % 900) });
        return request;
      },
    }],
  });
  const ok = result['2xx'];
  return { perSecond: ok / (result.duration || durationS), p99Ms: result.latency.p99, failed: result.non2xx + result.errors + result.timeouts };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'feikong-bench-'));
  const key = prepare(dataDir);
  const port = await freePort();
  const daemon = await startDaemon(dataDir, port);
  const url = `http://127.0.0.1:${port}`;
  try {
    await run(url, key, 0, 1); // warm-up: JIT, prepared statements, connection set-up
    const results: RunResult[] = [];
    for (let i = 1; i <= runs; i++) results.push(await run(url, key, i, seconds));
    const failed = results.reduce((s, r) => s + r.failed, 0);
    if (failed > 0) process.stderr.write(`payments bench: ${failed} requests failed\n`);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const sum = Number(/^feikong_payment_group_size_sum (\S+)/m.exec(metrics)?.[1] ?? NaN);
    const count = Number(/^feikong_payment_group_size_count (\S+)/m.exec(metrics)?.[1] ?? NaN);
    process.stderr.write(`payments bench: ${count} commits, ${(sum / count).toFixed(1)} payments per commit on average\n`);
    const perSecond = Math.round(median(results.map((r) => r.perSecond)));
    const p99 = median(results.map((r) => r.p99Ms));
    const suffix = groupCommit ? '' : '_one_commit_each';
    const line = (name: string, value: number, unit: string, reference: number) =>
      process.stdout.write(JSON.stringify({ name, value, unit, reference, ratio: Math.round((value / reference) * 1000) / 1000 }) + '\n');
    line(`payments_per_second${suffix}`, perSecond, 'payments/s', REFERENCE_PER_SECOND);
    line(`payments_p99_latency${suffix}`, p99, 'ms', REFERENCE_P99_MS);
  } finally {
    await stopDaemon(daemon);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`payments bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
