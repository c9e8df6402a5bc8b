// Mosquitto's own command-line clients (Debian package mosquitto-clients) as independent MQTT
// peers: mosquitto_pub and mosquitto_sub, run without blocking the test's event loop (a daemon
// under test may live in the same process).
import { execFile, spawn } from 'node:child_process';

export interface ToolRun {
  code: number;
  out: string;
  err: string;
}

/** Bound on one run, against a hang only (every expected outcome comes sooner). */
const HANG_BOUND_MS = 60_000;

/** Runs mosquitto_pub or mosquitto_sub to its end. */
export function mosquittoTool(tool: 'mosquitto_pub' | 'mosquitto_sub', args: string[]): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(tool, args, { timeout: HANG_BOUND_MS }, (error, out, err) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, out, err });
    });
  });
}

/** The connection options of mosquitto_pub/sub for a broker URL (mqtt://host:port) and credentials. */
export function connectArgs(url: string, credentials?: { username: string; password: string }, clientId?: string): string[] {
  const u = new URL(url);
  return ['-h', u.hostname, '-p', u.port, '-V', 'mqttv311', ...(credentials ? ['-u', credentials.username, '-P', credentials.password] : []), ...(clientId ? ['-i', clientId] : [])];
}

/**
 * Starts mosquitto_sub with `-d` (debug: it reports its SUBACK) and `-v`; `subscribed` resolves
 * with the granted QoS list once the broker answered the subscription, `done` when it exits.
 */
export function startSubscriber(args: string[]): { subscribed: Promise<string>; done: Promise<ToolRun>; stop(): void } {
  // Line-buffered (stdbuf): piped, its stdout would otherwise come only at exit.
  const child = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-d', '-v', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onSubscribed: (granted: string) => void = () => {};
  const subscribed = new Promise<string>((resolve) => (onSubscribed = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /Subscribed \(mid: \d+\): ([\d, ]+)/.exec(out);
    if (m) onSubscribed(m[1]!.trim());
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), HANG_BOUND_MS);
  const done = new Promise<ToolRun>((resolve) => child.once('exit', (code) => {
    clearTimeout(timer);
    onSubscribed('');
    resolve({ code: code ?? -1, out, err });
  }));
  return { subscribed, done, stop: () => child.kill('SIGTERM') };
}
