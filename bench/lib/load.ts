// Runs the load generator (load-worker.ts) in a separate process against a URL and returns its
// result together with the CPU the generator itself used, so a run says whether the server or
// the generator was the limit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTs } from './daemon.js';
import { sampleProcess } from './proc.js';

export interface LoadSpec {
  url: string;
  /** request paths, cycled one per request */
  paths: string[];
  connections: number;
  durationS: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** a flood: answers other than 2xx and connection errors are part of what is measured, not a failed run */
  flood?: boolean;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU of the generator over the loaded interval, % of one core */
  cpuPercent: number;
  /** answers by HTTP status */
  statusCodes?: Record<string, number>;
}

export interface MeasuredLoad extends LoadResult {
  /** CPU of the generator, % of one core */
  loadgenCpu: number;
  /** CPU of the server while loaded, % of one core (when its pid was given) */
  serverCpu: number;
  /** server CPU time per request, µs: far less sensitive to a shared machine than req/s */
  serverCpuUs: number;
}

export async function runLoad(spec: LoadSpec, serverPid?: number): Promise<MeasuredLoad> {
  // The spec (thousands of paths) goes through a file: too long for one argument.
  const dir = mkdtempSync(join(tmpdir(), 'feikong-load-'));
  const specFile = join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify(spec));
  const child = spawnTs('bench/lib/load-worker.ts', [specFile]);
  let out = '';
  let err = '';
  let srvSampler: ReturnType<typeof sampleProcess> | null = null;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    // Sample the server from the moment load starts, not while the generator boots.
    if (!srvSampler && serverPid && out.includes('"started":true')) srvSampler = sampleProcess(serverPid);
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  const srv = (srvSampler as ReturnType<typeof sampleProcess> | null)?.stop();
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`load generator exited with ${code}: ${err}`);
  const line = out.trim().split('\n').pop() ?? '';
  const result = JSON.parse(line) as LoadResult;
  if ((result.non2xx > 0 || result.errors > 0) && spec.flood !== true) {
    throw new Error(`load run had ${result.non2xx} non-2xx responses and ${result.errors} errors; figures would be meaningless`);
  }
  const serverCpu = srv?.cpuPercent ?? NaN;
  return { ...result, loadgenCpu: result.cpuPercent, serverCpu, serverCpuUs: ((serverCpu / 100) * result.seconds * 1e6) / result.requests };
}

export interface HttpRuns {
  rps: number[];
  p99Ms: number[];
  p50Ms: number[];
  serverCpu: number[];
  serverCpuUs: number[];
  loadgenCpu: number[];
}

export function emptyRuns(): HttpRuns {
  return { rps: [], p99Ms: [], p50Ms: [], serverCpu: [], serverCpuUs: [], loadgenCpu: [] };
}

/** One measured run appended to `into`. */
export async function measureInto(into: HttpRuns, spec: LoadSpec, serverPid: number): Promise<MeasuredLoad> {
  const r = await runLoad(spec, serverPid);
  into.rps.push(r.rps);
  into.p99Ms.push(r.p99Ms);
  into.p50Ms.push(r.p50Ms);
  into.serverCpu.push(r.serverCpu);
  into.serverCpuUs.push(r.serverCpuUs);
  into.loadgenCpu.push(r.loadgenCpu);
  return r;
}

/** `count` request paths `prefix + id`, ids drawn uniformly (seeded, so runs are comparable). */
export function randomPaths(prefix: string, ids: (i: number) => string, population: number, count = 10_000): string[] {
  let x = 0x2545f491;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out.push(prefix + ids((x >>> 0) % population));
  }
  return out;
}
