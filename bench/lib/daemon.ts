// Starts the real daemon in a child process, as production runs it (`node dist/src/main.js`, built
// by build.ts; BENCH_DAEMON=tsx runs src/main.ts through the tsx loader instead), on free loopback
// ports and a given data directory, and times spawn → GET /readyz 200. The child's pid is the
// daemon's own, for CPU and RSS sampling.
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { freePort } from '../../test/helpers/net.js';
import { cpuSeconds } from './proc.js';

export { freePort };

export const ROOT = resolve(import.meta.dirname, '../..');

export interface DaemonProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  /** milliseconds from spawn to the first GET /readyz 200 */
  readyMs: number;
  /** CPU seconds the daemon had used by then: what a busy shared machine distorts least */
  readyCpuS: number;
  output(): string;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  dataDir: string;
  /** FEIKONG_* overrides, e.g. { FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '3600000' } */
  env?: Record<string, string>;
  /** extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] */
  nodeArgs?: string[];
  readyTimeoutMs?: number;
}

/** Spawns a node script with the tsx loader; the returned child's pid is the script's process. */
export function spawnTs(script: string, args: string[] = [], env: Record<string, string> = {}, nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function startDaemonProcess(options: DaemonOptions): Promise<DaemonProcess> {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  // Imported here: build.ts imports ROOT from this module.
  const compiled = process.env.BENCH_DAEMON === 'tsx' ? null : (await import('./build.js')).buildDaemon();
  const env = {
    NODE_ENV: 'production',
    FEIKONG_DATA_DIR: options.dataDir,
    FEIKONG_HTTP__HOST: '127.0.0.1',
    FEIKONG_HTTP__PORT: String(httpPort),
    FEIKONG_MQTT__EMBEDDED_HOST: '127.0.0.1',
    FEIKONG_MQTT__EMBEDDED_PORT: String(mqttPort),
    FEIKONG_LOG__LEVEL: 'warn',
    ...options.env,
  };
  // BENCH_CPU_PROF=<dir>: a CPU profile of every daemon a benchmark starts (see cpuprofile.ts).
  const profDir = process.env.BENCH_CPU_PROF;
  const nodeArgs = [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), ...(options.nodeArgs ?? [])];
  const t0 = performance.now();
  const child = compiled
    ? spawn(process.execPath, [...nodeArgs, join(compiled, 'src/main.js')], {
      cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    })
    : spawnTs('src/main.ts', [], env, nodeArgs);
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 65_536) out = out.slice(-65_536);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 300_000);
  let readyMs = NaN;
  let readyCpuS = NaN;
  while (Number.isNaN(readyMs)) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode} before ready:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`daemon not ready within ${options.readyTimeoutMs ?? 300_000} ms:\n${out}`);
    }
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        readyMs = performance.now() - t0;
        readyCpuS = cpuSeconds(child.pid!);
      }
    } catch {
      /* not listening yet */
    }
    if (Number.isNaN(readyMs)) await new Promise((r) => setTimeout(r, 10));
  }
  return {
    child, pid: child.pid!, url, readyMs, readyCpuS,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
