// `feikong mqtt …`: concentrators' MQTT credentials on the configured database (passwords printed
// or written once, only hashes stored, every change audited) and the Mosquitto configuration.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { createRepositories } from '../../src/db/repo/index.js';
import { runCli } from '../../src/cli/cli.js';
import { verifyMqttPassword } from '../../src/mqtt/password-hash.js';
import { dropTestDatabase, testDatabaseConfig, testDatabaseEnv } from '../helpers/database.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'feikong.mjs');
let dir: string;
let env: NodeJS.ProcessEnv;

function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => new Writable({ write(chunk, _enc, done) { add(String(chunk)); done(); } });
  const code = runCli(args, { out: sink((s) => (out += s)), err: sink((s) => (err += s)), env: { ...env, ...extraEnv } });
  return { code, out, err };
}

function repos<T>(fn: (r: ReturnType<typeof createRepositories>) => T): T {
  const dataDir = join(dir, 'data');
  const db = openConfiguredDatabase({ dataDir, database: testDatabaseConfig(dataDir) });
  try {
    return fn(createRepositories(db));
  } finally {
    db.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'feikong-cli-mqtt-'));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FEIKONG_')));
  env = { ...clean, FEIKONG_DATA_DIR: join(dir, 'data'), ...testDatabaseEnv(join(dir, 'data')), USER: 'tester' };
  repos(() => undefined); // the installation's database exists, as the daemon made it (the CLI creates none)
});
afterAll(() => {
  dropTestDatabase(join(dir, 'data'));
  rmSync(dir, { recursive: true, force: true });
});

describe('feikong mqtt credentials', () => {
  it('creates credentials, writes their passwords once to a private file, and stores only hashes', async () => {
    const file = join(dir, 'credentials.json');
    const created = cli(['mqtt', 'credentials', 'create', 'dcu-1', 'dcu-2', '--out', file]);
    expect(created.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const passwords = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(passwords)).toEqual(['dcu-1', 'dcu-2']);
    expect(created.out).not.toContain(passwords['dcu-1']);
    const stored = repos((r) => r.mqttCredentials.allActive());
    expect(stored.map((c) => c.concentratorId)).toEqual(['dcu-1', 'dcu-2']);
    for (const c of stored) {
      expect(c.passwordHash).toMatch(/^\$7\$/);
      expect(c.passwordHash).not.toContain(passwords[c.concentratorId]!);
      expect(await verifyMqttPassword(passwords[c.concentratorId]!, c.passwordHash)).toBe(true);
    }
  });

  it('replaces a credential, lists without secrets, revokes once, audited with the shell user', () => {
    const again = cli(['mqtt', 'credentials', 'create', 'dcu-1']);
    expect(again.code).toBe(0);
    const password = /password: (\S+)/.exec(again.out)![1]!;
    const id = /created MQTT credential (\S+) for dcu-1 \(revoked (\S+)\)/.exec(again.out)!;
    const active = cli(['mqtt', 'credentials', 'list']);
    expect(active.out.trim().split('\n')).toHaveLength(3); // header + dcu-1 + dcu-2
    expect(active.out).not.toContain(password);
    expect(cli(['mqtt', 'credentials', 'list', '--all', '--concentrator', 'dcu-1']).out.trim().split('\n')).toHaveLength(3);
    expect(cli(['mqtt', 'credentials', 'revoke', id[1]!])).toMatchObject({ code: 0 });
    expect(cli(['mqtt', 'credentials', 'revoke', id[1]!])).toMatchObject({ code: 1, err: expect.stringContaining('already revoked') });
    expect(cli(['mqtt', 'credentials', 'revoke', '00000000-0000-4000-8000-000000000000'])).toMatchObject({ code: 1, err: expect.stringContaining('does not exist') });
    const audit = repos((r) => r.db.prepare(`SELECT actor, action, target FROM audit WHERE action LIKE 'mqtt-credential-%' ORDER BY id`).all()) as Array<{ actor: string; action: string; target: string }>;
    expect(audit.map((a) => a.action)).toEqual(['mqtt-credential-created', 'mqtt-credential-created', 'mqtt-credential-revoked', 'mqtt-credential-created', 'mqtt-credential-revoked']);
    expect(new Set(audit.map((a) => a.actor))).toEqual(new Set(['cli:tester']));
    expect(audit.filter((a) => a.action === 'mqtt-credential-revoked').map((a) => a.target)).toEqual([id[2], id[1]]);
  });

  it('refuses a concentrator id that cannot be a topic level, and unknown commands, with the usage', () => {
    expect(cli(['mqtt', 'credentials', 'create', 'a/b'])).toMatchObject({ code: 2, err: expect.stringContaining('concentrator id "a/b" is not valid') });
    expect(cli(['mqtt', 'credentials', 'create', '#'])).toMatchObject({ code: 2 });
    expect(cli(['mqtt', 'credentials', 'create'])).toMatchObject({ code: 2, err: expect.stringContaining('Usage: feikong mqtt') });
    expect(cli(['mqtt', 'bogus'])).toMatchObject({ code: 2 });
    expect(repos((r) => r.mqttCredentials.allActive().map((c) => c.concentratorId))).toEqual(['dcu-2']);
  });
});

describe('feikong mqtt mosquitto', () => {
  it('needs the daemon password and no fixed user name', () => {
    const out = join(dir, 'mosquitto');
    expect(cli(['mqtt', 'mosquitto', '--out', out])).toMatchObject({ code: 2, err: expect.stringContaining('mqtt.password is not set') });
    expect(cli(['mqtt', 'mosquitto', '--out', out], { FEIKONG_MQTT__PASSWORD: 'pw', FEIKONG_MQTT__USERNAME: 'feikong' }))
      .toMatchObject({ code: 2, err: expect.stringContaining('mqtt.username is set') });
    expect(cli(['mqtt', 'mosquitto', '--out', out, '--port', '99999'], { FEIKONG_MQTT__PASSWORD: 'pw' })).toMatchObject({ code: 2 });
  });

  it('writes the active credentials and one line per connection of each daemon named', async () => {
    const out = join(dir, 'mosquitto');
    const run = cli(['mqtt', 'mosquitto', '--out', out, '--daemons', 'node-a,node-b'], { FEIKONG_MQTT__PASSWORD: 'the daemon password', FEIKONG_MQTT__INGEST__CONNECTIONS: '2' });
    expect(run.code).toBe(0);
    const lines = readFileSync(join(out, 'feikong.passwd'), 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual([
      'node-a-control', 'node-a-readings-0', 'node-a-readings-1', 'node-b-control', 'node-b-readings-0', 'node-b-readings-1', 'dcu-2',
    ]);
    expect(await verifyMqttPassword('the daemon password', lines[0]!.split(':')[1]!)).toBe(true);
    expect(readFileSync(join(out, 'feikong.conf'), 'utf8')).toContain('listener 1883\n');
    const acl = readFileSync(join(out, 'feikong.acl'), 'utf8');
    expect(acl).toContain('user node-b-readings-1\ntopic read feikong/v1/concentrators/+/readings');
    expect(acl).toContain('user node-a-control\ntopic read feikong/v1/concentrators/+/acks\ntopic read feikong/v1/concentrators/+/status\ntopic write feikong/v1/concentrators/+/commands');
  });

  it('masks the daemon password in config show; spawned, the help lists the commands', async () => {
    const shown = cli(['config', 'show'], { FEIKONG_MQTT__PASSWORD: 'hunter2-secret' });
    expect(shown.code).toBe(0);
    expect(shown.out).not.toContain('hunter2-secret');
    const help = await new Promise<string>((resolve) => execFile(process.execPath, [BIN, 'mqtt', '--help'], { env, cwd: dir, timeout: 120_000 }, (_e, stdout) => resolve(stdout)));
    expect(help).toContain('credentials create CID');
    expect(help).toContain('mosquitto --out DIR');
  }, 120_000);
});
