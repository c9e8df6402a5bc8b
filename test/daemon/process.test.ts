// The daemon as a process, the way `npm start` runs it: a bad configuration stops start-up with a
// message naming the key; a good one serves /healthz, /readyz and /metrics and stops cleanly on
// SIGTERM within the shutdown timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/net.js';
import { dropTestDatabase, testDatabaseConfig, testDatabaseEnv, testDialect } from '../helpers/database.js';
import { connectPostgresSync } from '../../src/db/pg/sync.js';

const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');

function run(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let out = '';
  const child = spawn(tsx, ['src/main.ts'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

/** The daemon uses the test directory's database: the SQLite file it made, or a connection to the PostgreSQL database. */
function expectDatabaseInUse(dataDir: string): void {
  if (testDialect === 'sqlite') {
    expect(existsSync(join(dataDir, 'feikong.db'))).toBe(true);
    return;
  }
  const db = connectPostgresSync(testDatabaseConfig(dataDir).url!);
  try {
    const others = db.prepare('SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()').pluck().get();
    expect(others).toBeGreaterThan(0);
  } finally {
    db.close();
  }
}

describe('daemon process', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs.splice(0)) {
      dropTestDatabase(d);
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('refuses a bad configuration value and names the key', async () => {
    const p = run({ FEIKONG_HTTP__PORT: '"not-a-port"', FEIKONG_DATA_DIR: join(tmpdir(), 'feikong-never-created') });
    children.push(p.child);
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/configuration key "http\.port"/);
    expect(p.output()).toMatch(/integer/i);
  });

  it('serves health, readiness and metrics, then stops on SIGTERM within 10 s', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'feikong-proc-'));
    dirs.push(dataDir);
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    const p = run({
      FEIKONG_DATA_DIR: dataDir, FEIKONG_HTTP__PORT: String(httpPort), FEIKONG_MQTT__EMBEDDED_PORT: String(mqttPort), FEIKONG_LOG__LEVEL: 'info',
      ...testDatabaseEnv(dataDir),
    });
    children.push(p.child);
    const base = `http://127.0.0.1:${httpPort}`;
    await eventually(async () => expect((await fetch(`${base}/healthz`)).status).toBe(200), 20_000, 100);
    expectDatabaseInUse(dataDir);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^# HELP feikong_payments_total/m);
    // JSON logs on stdout.
    const firstLine = p.output().split('\n').find((l) => l.startsWith('{'));
    expect(JSON.parse(firstLine!)).toHaveProperty('level');

    // Exit code 0 means it stopped by itself; past the 10 s shutdown timeout it exits with 1.
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(/"msg":"stopped"/);
  });
});
