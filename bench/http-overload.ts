// /healthz under a flood of requests without API keys: 500 connections for 30 s against the API
// with no key (GET /v1/accounts, /v1/account-states, /v1/meters, an unknown route), while a prober opens a new
// connection every 100 ms for GET /healthz, as a load balancer or Kubernetes probe does. Target:
// /healthz p99 ≤ 1 s. Daemon, flood generator and prober are three processes (the prober is this
// one). Run twice: with the per-address limit on requests without a valid key (the default,
// http.rateLimit.anonymousMax 300 per minute) and without it (anonymousMax 0, the reference).
import { request } from 'node:http';
import { emit, figure, log, size } from './lib/figures.js';
import { runLoad, type MeasuredLoad } from './lib/load.js';
import { startDaemonProcess } from './lib/daemon.js';
import { percentile } from './lib/stats.js';
import { tempDir } from './lib/seed.js';

const connections = size(500, 100);
const durationS = size(30, 3);
const probeEveryMs = 100;
/** A probe that takes longer counts as this long (the load balancer gave up). */
const probeTimeoutMs = 10_000;

/** GET /healthz on a new connection; milliseconds until the whole answer, or the timeout. */
function probe(url: string): Promise<{ ms: number; ok: boolean; at: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(`${url}/healthz`, { agent: false, timeout: probeTimeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: performance.now() - t0, ok: res.statusCode === 200, at: t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ms: Math.max(performance.now() - t0, probeTimeoutMs), ok: false, at: t0 }));
    req.end();
  });
}

interface Run {
  probes: Array<{ ms: number; ok: boolean; at: number }>;
  flood: MeasuredLoad;
}

async function run(anonymousMax: number): Promise<Run> {
  const data = tempDir('http-overload');
  try {
    const daemon = await startDaemonProcess({
      dataDir: data.dir, env: { FEIKONG_HTTP__RATE_LIMIT__ANONYMOUS_MAX: String(anonymousMax), FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '3600000' },
    });
    try {
      const probes: Array<{ ms: number; ok: boolean; at: number }> = [];
      let flooding = true;
      const prober = (async () => {
        while (flooding) {
          const next = performance.now() + probeEveryMs;
          probes.push(await probe(daemon.url));
          await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
        }
      })();
      const flood = await runLoad({
        url: daemon.url, connections, durationS, flood: true, paths: ['/v1/accounts', '/v1/account-states', '/v1/meters', '/v1/nothing-here'],
      }, daemon.pid);
      flooding = false;
      await prober;
      return { probes, flood };
    } finally {
      await daemon.stop();
    }
  } finally {
    data.remove();
  }
}

function summary(label: string, r: Run) {
  const t0 = r.probes[0]?.at ?? 0;
  if (process.env.BENCH_DEBUG) log(`${label}: probes over 300 ms (s into the run: ms): ${r.probes.filter((p) => p.ms > 300).map((p) => `${((p.at - t0) / 1000).toFixed(1)}:${p.ms.toFixed(0)}`).join(' ')}`);
  const ms = r.probes.map((p) => p.ms).sort((a, b) => a - b);
  const failed = r.probes.filter((p) => !p.ok).length;
  const s = { p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms[ms.length - 1] ?? NaN, probes: ms.length, failed };
  log(`${label}: /healthz p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(0)} ms over ${s.probes} probes (${failed} failed) | `
    + `flood ${r.flood.rps.toFixed(0)} req/s, statuses ${JSON.stringify(r.flood.statusCodes)}, errors ${r.flood.errors}, `
    + `daemon CPU ${r.flood.serverCpu.toFixed(0)} %, generator ${r.flood.loadgenCpu.toFixed(0)} %`);
  return s;
}

const limited = summary('limit on (anonymousMax 300)', await run(300));
const open = summary('limit off (anonymousMax 0)', await run(0));
const note = `${connections} connections without a valid key for ${durationS} s; a new connection per /healthz every ${probeEveryMs} ms`;
emit([
  figure('http-overload.healthz.p99', limited.p99, 'ms', open.p99, { note }),
  figure('http-overload.healthz.p50', limited.p50, 'ms', open.p50),
  figure('http-overload.healthz.max', limited.max, 'ms', open.max),
  figure('http-overload.healthz.failed', limited.failed, 'probes', open.failed),
]);
