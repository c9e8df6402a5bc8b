// Pseudo-terminal pairs for simulators: two linked tty ends made by socat, so a simulator and the
// head-end talk through a real serial device (termios, the serialport binding, byte streams) with
// no hardware.
//
//   simulator ──opens──▶ <dir>/a ─┐            ┌─ <dir>/b ◀──opens── head-end
//                                 └── socat ───┘
//
// Pseudo-terminals refuse even parity (tcsetattr fails with EINVAL), so pty ends are opened with
// parity 'none' and real ports with 8E1; `serialOpenOptionsFor` makes that choice in one place.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPseudoTerminal } from '../protocols/transports/serial.js';

export interface PtyPair {
  /** One end (the simulator opens this one). */
  a: string;
  /** The other end (the head-end opens this one). */
  b: string;
  /** Stops socat and removes the links; safe to call twice. */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  /** How long to wait for socat to create both links. Default 5000 ms, allowed 100..60000. */
  readyTimeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 5_000;
const LINK_POLL_MS = 10;
/** After SIGTERM, how long socat gets before SIGKILL. */
const KILL_GRACE_MS = 2_000;

export class SocatMissingError extends Error {
  readonly code = 'SOCAT_MISSING';
  constructor() {
    super(
      'socat is not installed: pseudo-terminal pairs need the "socat" package ' +
        '(Debian/Ubuntu: apt-get install socat)',
    );
    this.name = 'SocatMissingError';
  }
}

/** Creates a linked pair of pseudo-terminals with socat and waits until both links exist. */
export async function createPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  if (!(readyTimeoutMs >= 100 && readyTimeoutMs <= 60_000)) {
    throw new RangeError(`readyTimeoutMs must be 100..60000, got ${readyTimeoutMs}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'feikong-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child = spawn(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    // Keep only the tail: socat -d -d logs every open and close for as long as it runs.
    stderr = (stderr + text).slice(-4_000);
  });
  const exited = new Promise<{ code: number | null; error?: NodeJS.ErrnoException }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, error }));
    child.once('exit', (code) => resolve({ code }));
  });

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await stopChild(child, exited);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitForLinks([a, b], exited, readyTimeoutMs, () => stderr);
  } catch (error) {
    await close();
    throw error;
  }
  return { a, b, close };
}

async function waitForLinks(
  paths: string[],
  exited: Promise<{ code: number | null; error?: NodeJS.ErrnoException }>,
  timeoutMs: number,
  stderr: () => string,
): Promise<void> {
  let exit: { code: number | null; error?: NodeJS.ErrnoException } | undefined;
  void exited.then((value) => {
    exit = value;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exit) {
      if (exit.error?.code === 'ENOENT') throw new SocatMissingError();
      const why = exit.error ? exit.error.message : `exit code ${String(exit.code)}`;
      throw new Error(`socat stopped before the pty links existed (${why}): ${stderr().trim()}`);
    }
    if (await allExist(paths)) return;
    if (Date.now() > deadline) {
      throw new Error(`socat did not create ${paths.join(' and ')} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, LINK_POLL_MS));
  }
}

async function allExist(paths: string[]): Promise<boolean> {
  for (const path of paths) {
    try {
      await access(path);
    } catch {
      return false;
    }
  }
  return true;
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** The head-end's own check (a symlink resolving under /dev/pts/), shared by the simulators. */
export { isPseudoTerminal };

/** Serial framing for a device: DL/T 645 is 8E1 on the wire, but a pty refuses even parity. */
export async function serialOpenOptionsFor(
  path: string,
  baudRate: number,
): Promise<{ path: string; baudRate: number; dataBits: 8; stopBits: 1; parity: 'none' | 'even' }> {
  const parity = isPseudoTerminal(path) ? 'none' : 'even';
  return { path, baudRate, dataBits: 8, stopBits: 1, parity };
}
