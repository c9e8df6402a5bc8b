// The demo started with faulty meters from its command line alone, as an integrator would:
// `npm run demo -- --fault meter-04=silent,count=2 --fault meter-01=refuse-reconnect`. The silent
// meter's reads go unanswered and it is marked offline, then (its two requests spent: a schedule
// kept by the simulator, not a window of wall-clock time) it answers and comes back online; a
// disconnect of meter-01 is confirmed and its reconnect ends refused, as docs/commands.md says.
// Shorter engine pauses come from FEIKONG_* variables, which the demo honours like the daemon.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropTestDatabase, testDatabaseEnv } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';

const root = resolve(import.meta.dirname, '../..');
const START_TIMEOUT = 120_000;
const EVENT_TIMEOUT = 90_000;

/** Polls until `probe` gives a value (not undefined or false), then returns it. */
const waitFor = <T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> =>
  eventually(async () => {
    const value = await probe();
    if (value === undefined || value === false) throw new Error(`waiting for ${what}`);
    return value;
  }, timeoutMs, 200);

let dir: string;
let demo: ChildProcess;
let out = '';
let api: string;
let key: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'feikong-demo-faults-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FEIKONG_')));
  demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--dir', dir, '--fault', 'meter-04=silent,count=2', '--fault', 'meter-01=refuse-reconnect'], {
    cwd: root,
    env: {
      ...env, ...testDatabaseEnv(join(dir, 'data')),
      FEIKONG_HTTP__HOST: '127.0.0.1', FEIKONG_HTTP__PORT: '0', FEIKONG_MQTT__EMBEDDED_HOST: '127.0.0.1', FEIKONG_MQTT__EMBEDDED_PORT: '0',
      FEIKONG_LOG__LEVEL: 'error', FEIKONG_POLLING__OFFLINE_AFTER_FAILURES: '1', FEIKONG_ENGINE__REFUSAL_BACKOFF_MS: '500', FEIKONG_ENGINE__MAX_ATTEMPTS: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer): void => {
    out += chunk.toString();
  };
  demo.stdout!.on('data', keep);
  demo.stderr!.on('data', keep);
  [api, key] = await waitFor(() => {
    if (demo.exitCode !== null) throw new Error(`the demo exited early:\n${out}`);
    const url = / API {12}(http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(out)?.[1];
    const secret = / Admin API key {2}(\S+)/.exec(out)?.[1];
    return url && secret ? [url, secret] : undefined;
  }, START_TIMEOUT, 'the demo to print its API and admin key');
}, START_TIMEOUT + 10_000);

afterAll(async () => {
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    const exited = new Promise((done) => demo.once('exit', done));
    demo.kill('SIGTERM');
    await exited;
  }
  dropTestDatabase(join(dir, 'data'));
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${api}${path}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return res.json();
}

/** The demo's own event line for a meter, e.g. "00:22:10  meter-offline    demo-04  meter-04". */
const eventLine = (type: string, meter: string): RegExp => new RegExp(`^\\d\\d:\\d\\d:\\d\\d  ${type} +\\S+ +${meter}\\b`, 'm');

describe('npm run demo -- --fault', () => {
  it('lists the faulty meters in its banner', () => {
    expect(out).toContain('Faulty meters (--fault');
    expect(out).toMatch(/meter-04 +000000000004=silent,count=2/);
    expect(out).toMatch(/meter-01 +000000000001=refuse:other,only=reconnect/);
  });

  it('a silent meter goes offline, then answers again once its scheduled silence is spent', async () => {
    await waitFor(() => eventLine('meter-offline', 'meter-04').test(out), EVENT_TIMEOUT, 'meter-04 offline');
    const offlineAt = out.search(eventLine('meter-offline', 'meter-04'));
    await waitFor(() => eventLine('meter-online', 'meter-04').test(out), EVENT_TIMEOUT, 'meter-04 online again');
    expect(out.search(eventLine('meter-online', 'meter-04'))).toBeGreaterThan(offlineAt);
    const meter = await call('GET', '/v1/meters/meter-04');
    expect(meter).toMatchObject({ online: true });
    expect(meter.lastReadingAt).not.toBeNull();
  }, EVENT_TIMEOUT * 2 + 10_000);

  it('a refused reconnect ends refused after its attempts; the disconnect before it is confirmed', async () => {
    const disconnect = await call('POST', '/v1/meters/meter-01/commands', { action: 'disconnect', reason: 'fault rehearsal' });
    expect(disconnect).toMatchObject({ action: 'disconnect' });
    await waitFor(async () => ((await call('GET', `/v1/commands/${disconnect.id}`)).state === 'confirmed'), EVENT_TIMEOUT, 'the disconnect confirmed');

    const reconnect = await call('POST', '/v1/meters/meter-01/commands', { action: 'reconnect', reason: 'fault rehearsal' });
    const ended = await waitFor(async () => {
      const command = await call('GET', `/v1/commands/${reconnect.id}`);
      return command.finishedAt ? command : undefined;
    }, EVENT_TIMEOUT, 'the reconnect to end');
    expect(ended).toMatchObject({ state: 'refused', outcome: 'refused', attempts: 2 });
    expect(ended.lastError).toMatch(/meter 000000000001 refused directClose: other/);
    await waitFor(() => eventLine('command-refused', 'meter-01').test(out), EVENT_TIMEOUT, 'the command-refused event line');
    expect((await call('GET', '/v1/meters/meter-01')).relayState).toBe('open');
  }, EVENT_TIMEOUT * 3 + 10_000);
});

describe('npm run demo -- --fault, refused', () => {
  const run = (args: string[]): Promise<{ code: number; err: string }> => new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--dir', join(dir, 'refused'), ...args], { cwd: root, timeout: START_TIMEOUT }, (error, _out, err) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, err }));
  });

  it('names the meter behind the concentrator, and the part of a fault it cannot read, before starting anything', async () => {
    const concentrator = await run(['--fault', 'meter-05=silent']);
    expect(concentrator.code).toBe(2);
    expect(concentrator.err).toMatch(/^feikong demo: --fault: meter-05 is behind the simulated concentrator dcu-1 \(MQTT\), not on the DTU; faults are for meter-01, meter-02, meter-03, meter-04, meter-06\n/);
    const unreadable = await run(['--fault', 'meter-03=silent,rate=1-in-5']);
    expect(unreadable.code).toBe(2);
    expect(unreadable.err).toMatch(/^feikong demo: --fault 'meter-03=silent,rate=1-in-5': rate: expected N\/M/);
    expect(unreadable.err).toContain('Usage: npm run demo --');
  }, START_TIMEOUT);
});
