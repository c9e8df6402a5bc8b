// The HTTP load generator, run as its own process so it never shares an event loop with the
// server it measures: autocannon with N connections for D seconds over a list of paths (one per
// request, cycled), printing one JSON result line. Argument: a file holding the LoadSpec as JSON.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './load.js';

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
let next = 0;

const instance = autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationS,
  method: spec.method ?? 'GET',
  headers: spec.headers,
  body: spec.body,
  requests: [{
    setupRequest: (req) => {
      const path = spec.paths[next++ % spec.paths.length]!;
      return { ...req, path };
    },
  }],
}, (err, result) => {
  if (err) {
    process.stderr.write(`load generator failed: ${err.message}\n`);
    process.exit(1);
  }
  const seconds = result.duration;
  const cpu = process.cpuUsage(cpuAtStart);
  const out: LoadResult = {
    requests: result.requests.total,
    seconds,
    rps: result.requests.total / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count])),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
});
let cpuAtStart = process.cpuUsage();
// Tells the parent that load starts now, so it samples the server over the loaded interval only.
instance.on('start', () => {
  cpuAtStart = process.cpuUsage();
  process.stdout.write('{"started":true}\n');
});
process.once('SIGTERM', () => instance.stop());
