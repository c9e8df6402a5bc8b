// The concentrator simulator's command line against a real daemon: it writes a seed file that
// registers its meters, floods readings, and reports what the broker acknowledged.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadSeed } from '../../src/seed.js';
import { readingCount } from './fixtures.js';

const root = resolve(import.meta.dirname, '../..');

function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/concentrator/cli.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((r) => child.once('exit', (code) => r({ code, out })));
}

describe('concentrator simulator command line', () => {
  let td: TestDaemon | null = null;
  let dir = '';
  afterEach(async () => {
    await td?.stop();
    td = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a seed for its meters and floods readings the daemon stores', async () => {
    dir = mkdtempSync(join(tmpdir(), 'feikong-sim-cli-'));
    td = await startTestDaemon({ engine: { sweepIntervalMs: 3_600_000 } });
    const seedFile = join(dir, 'fleet.json');
    const credentials = join(dir, 'credentials.json');
    writeFileSync(credentials, JSON.stringify({ 'dcu-1': td.credentials('dcu-1').password, 'dcu-2': td.credentials('dcu-2').password }));
    const common = ['--url', td.daemon.mqttUrl, '--concentrators', '2', '--meters', '3', '--credentials', credentials];
    const first = await cli([...common, '--write-seed', seedFile, '--flood', '0']);
    expect(first.code).toBe(0);
    const seed = JSON.parse(readFileSync(seedFile, 'utf8'));
    expect(seed.meters).toHaveLength(6);
    expect(seed.meters[0]).toEqual({ id: 'dcu-1-m1', accountId: 'dcu-1-a1', protocol: 'mqtt', concentratorId: 'dcu-1', address: '000000000001' });
    loadSeed(td.daemon.repos, td.daemon.config, seedFile, Date.now());

    const flood = await cli([...common, '--flood', '1', '--readings-per-message', '2']);
    expect(flood.code).toBe(0);
    const acknowledged = Number(/flood: (\d+) messages acknowledged/.exec(flood.out)?.[1]);
    expect(acknowledged).toBeGreaterThan(0);
    for (const id of ['dcu-1-m1', 'dcu-2-m3']) expect(readingCount(td.daemon.repos, id)).toBeGreaterThan(0);
  });

  it('refuses a bad option with the usage', async () => {
    const run = await cli(['--url', 'mqtt://127.0.0.1:1', '--duplicates', '7']);
    expect(run.code).toBe(2);
    expect(run.out).toMatch(/--duplicates needs a number in 0..1/);
  });
});
