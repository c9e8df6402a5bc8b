// The daemon as its own process for crash and takeover tests: node with the tsx loader (so the
// child's pid is the daemon itself and SIGKILL kills it, not a wrapper), FEIKONG_* environment,
// ready when /healthz answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { testDatabaseEnv } from './database.js';

const root = resolve(import.meta.dirname, '../..');

export interface DaemonProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

export async function startDaemonProcess(env: Record<string, string>, httpPort: number, timeoutMs = 90_000): Promise<DaemonProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env, FEIKONG_LOG__LEVEL: 'warn', ...(env.FEIKONG_DATA_DIR ? testDatabaseEnv(env.FEIKONG_DATA_DIR) : {}), ...env,
      FEIKONG_HTTP__PORT: String(httpPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`daemon exited before ready:\n${out}`);
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`daemon not ready within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: `http://127.0.0.1:${httpPort}`, output: () => out, exited };
}

/** SIGKILL, then wait for the process to be gone. */
export async function kill(p: DaemonProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await p.exited;
}

/** SIGTERM (clean stop), SIGKILL after `timeoutMs`; resolves with the exit code. */
export async function terminate(p: DaemonProcess, timeoutMs = 15_000): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}

/**
 * Runs the daemon as `npm start` would until it exits by itself (a start-up that fails), and
 * returns its exit code and what it wrote. Killed after `timeoutMs` if it does not exit.
 */
export async function runDaemonUntilExit(env: Record<string, string>, timeoutMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, FEIKONG_LOG__LEVEL: 'warn', ...(env.FEIKONG_DATA_DIR ? testDatabaseEnv(env.FEIKONG_DATA_DIR) : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
