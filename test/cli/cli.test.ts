// The administration CLI. Each command is spawned once as a user would run it (bin/feikong.mjs,
// through tsx); the finer cases call the same dispatcher in process. Both work on a database
// named by FEIKONG_* environment variables, name it on stderr, and refuse one that does not exist.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { dropTestDatabase, testDatabaseConfig, testDatabaseEnv } from '../helpers/database.js';
import { hashSecret } from '../../src/http/auth.js';
import { runCli } from '../../src/cli/cli.js';
import { maskSecrets } from '../../src/cli/config-show.js';
import { databaseLine } from '../../src/cli/database.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'feikong.mjs');
const SPAWN_TIMEOUT = 120_000;
let dir: string;
let env: NodeJS.ProcessEnv;

function spawnCli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, cwd: dir, timeout: SPAWN_TIMEOUT }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout, err: stderr });
    });
  });
}

function inProcess(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => new Writable({ write(chunk, _enc, done) { add(String(chunk)); done(); } });
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const code = runCli(args, { out: sink((s) => (out += s)), err: sink((s) => (err += s)), env: { ...env, ...extraEnv } });
    return { code, out, err };
  } finally {
    process.chdir(cwd);
  }
}

function query<T>(sql: string, ...params: unknown[]): T {
  const dataDir = join(dir, 'data');
  const db = openConfiguredDatabase({ dataDir, database: testDatabaseConfig(dataDir) });
  try {
    return db.prepare(sql).all(...params) as T;
  } finally {
    db.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'feikong-cli-'));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FEIKONG_')));
  env = {
    ...clean, FEIKONG_DATA_DIR: join(dir, 'data'), ...testDatabaseEnv(join(dir, 'data')),
    FEIKONG_BUSES: '[{"id":"line-1","kind":"tcp","host":"127.0.0.1","port":9}]', USER: 'tester',
  };
  // The installation's database exists, as after the daemon's first start.
  const dataDir = join(dir, 'data');
  openConfiguredDatabase({ dataDir, database: testDatabaseConfig(dataDir) }).close();
});

/** The line every command that opens the database writes to stderr. */
function databaseNamed(): string {
  const dataDir = join(dir, 'data');
  return `feikong: database: ${databaseLine({ dataDir, database: testDatabaseConfig(dataDir) })}\n`;
}
afterAll(() => {
  dropTestDatabase(join(dir, 'data'));
  rmSync(dir, { recursive: true, force: true });
});

describe('feikong, spawned', () => {
  it('prints help, checks the ledger and shows the configuration', async () => {
    const [top, keysHelp, ledger, config] = await Promise.all([
      spawnCli(['help']),
      spawnCli(['keys', '--help']),
      spawnCli(['ledger', 'check']),
      spawnCli(['config', 'show'], { FEIKONG_MQTT__URL: 'mqtt://head-end:s3cr3t-pw@broker.example:1883', FEIKONG_HTTP__PORT: '8099' }),
    ]);
    expect(top).toMatchObject({ code: 0 });
    expect(top.out).toContain('keys create --name N --role R');
    expect(keysHelp.code).toBe(0);
    expect(keysHelp.out).toContain('Usage: feikong keys');
    expect(ledger.code).toBe(0);
    // stdout is the report alone, one JSON line; the database it checked is named on stderr.
    expect(JSON.parse(ledger.out)).toMatchObject({ ok: true });
    expect(ledger.err).toBe(databaseNamed());
    expect(config.code).toBe(0);
    const shown = JSON.parse(config.out);
    expect(shown).toMatchObject({ http: { port: 8099 }, dataDir: join(dir, 'data') });
    expect(shown.mqtt.url).toBe('mqtt://head-end:********@broker.example:1883');
    expect(config.out).not.toContain('s3cr3t-pw');
  }, SPAWN_TIMEOUT);

  it('creates, lists and revokes an API key, audited with the shell user', async () => {
    const created = await spawnCli(['keys', 'create', '--name', 'ops desk', '--role', 'operator']);
    expect(created.code).toBe(0);
    const secret = /secret: (fk_\S+)/.exec(created.out)![1]!;
    const id = /created key (\S+)/.exec(created.out)![1]!;
    expect(query<Array<{ secret_hash: string; role: string }>>('SELECT secret_hash, role FROM api_keys WHERE id = ?', id)).toEqual([{ secret_hash: hashSecret(secret), role: 'operator' }]);
    expect(created.err).toContain(databaseNamed());
    const [listed, revoked] = [await spawnCli(['keys', 'list']), await spawnCli(['keys', 'revoke', id])];
    expect(listed.code).toBe(0);
    expect(listed.err).toBe(databaseNamed());
    expect(listed.out).toContain(id);
    expect(listed.out).toContain('ops desk');
    expect(listed.out).not.toContain(secret);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toContain(`revoked key ${id}`);
    expect(query<Array<{ actor: string; action: string }>>('SELECT actor, action FROM audit WHERE target = ? ORDER BY id', id))
      .toEqual([{ actor: 'cli:tester', action: 'key-created' }, { actor: 'cli:tester', action: 'key-revoked' }]);
  }, SPAWN_TIMEOUT * 3);

  it('imports accounts, then meters, from CSV files', async () => {
    writeFileSync(join(dir, 'accounts.csv'), 'id,name,creditGrade\ncli-1,王芳,A\ncli-2,Li Na,\ncli-3,Bad,Z\n');
    const accounts = await spawnCli(['import', 'accounts', 'accounts.csv']);
    expect(accounts.code).toBe(1);
    expect(accounts.out).toContain('created 2 of 3 accounts; 1 refused');
    expect(accounts.out).toMatch(/row 4 \(cli-3\): VALIDATION creditGrade/);
    writeFileSync(join(dir, 'meters.csv'), 'id,accountId,protocol,busId,address\ncm-1,cli-1,dlt645,line-1,000000000001\n');
    const meters = await spawnCli(['import', 'meters', 'meters.csv']);
    expect(meters.code).toBe(0);
    expect(query<Array<{ id: string; account_id: string }>>('SELECT id, account_id FROM meters')).toEqual([{ id: 'cm-1', account_id: 'cli-1' }]);
  }, SPAWN_TIMEOUT * 2);
});

describe('feikong, in process', () => {
  it('prints help for every command', () => {
    for (const command of ['keys', 'import', 'ledger', 'config', 'migration']) {
      const res = inProcess([command, '--help']);
      expect(res.code, command).toBe(0);
      expect(res.out).toContain(`Usage: feikong ${command}`);
    }
  });

  it('refuses unknown commands, options and roles with exit status 2', () => {
    expect(inProcess(['frobnicate'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "frobnicate"') });
    expect(inProcess(['keys', 'list', '--colour'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown option --colour') });
    expect(inProcess(['keys', 'create', '--name', 'x', '--role', 'root']).code).toBe(2);
    expect(inProcess(['import', 'accounts', 'missing.csv']).code).toBe(2);
    expect(inProcess(['config', 'show'], { FEIKONG_HTTP__PORT: 'eighty' })).toMatchObject({ code: 2, err: expect.stringContaining('http.port') });
  });

  it('lists revoked keys only with --all, and keeps the last admin key', () => {
    const made = inProcess(['keys', 'create', '--name', 'only-admin', '--role', 'admin']);
    const id = /created key (\S+)/.exec(made.out)![1]!;
    expect(inProcess(['keys', 'revoke', id])).toMatchObject({ code: 1, err: expect.stringContaining('last active admin key') });
    const temp = /created key (\S+)/.exec(inProcess(['keys', 'create', '--name', 'temp', '--role', 'billing']).out)![1]!;
    expect(inProcess(['keys', 'revoke', temp]).code).toBe(0);
    expect(inProcess(['keys', 'revoke', temp]).code).toBe(1);
    expect(inProcess(['keys', 'list']).out).not.toContain(temp);
    expect(inProcess(['keys', 'list', '--all']).out).toContain(temp);
  });

  it('checks a CSV without creating anything in a dry run, and refuses a bad header', () => {
    writeFileSync(join(dir, 'more.csv'), 'id,accountId,protocol,busId,address\ncm-9,cli-2,dlt645,line-1,000000000009\n');
    const dry = inProcess(['import', 'meters', 'more.csv', '--dry-run']);
    expect(dry).toMatchObject({ code: 0, out: expect.stringContaining('dry run: would create 1 of 1 meters') });
    expect(query<unknown[]>("SELECT id FROM meters WHERE id = 'cm-9'")).toEqual([]);
    writeFileSync(join(dir, 'bad-header.csv'), 'id,name,balanceFen\nx,y,1\n');
    expect(inProcess(['import', 'accounts', 'bad-header.csv'])).toMatchObject({ code: 2, err: expect.stringContaining('balanceFen') });
  });

  it('imports a GBK file under a migration with progress on stderr, upserts it again as a no-op, and releases the migration', () => {
    const gbk = iconv.encode('id,name,openingBalanceFen\ncli-gbk-1,张三,800\ncli-gbk-2,李四,\n', 'gbk');
    writeFileSync(join(dir, 'gbk.csv'), gbk);
    const first = inProcess(['import', 'accounts', 'gbk.csv', '--encoding', 'GBK', '--mode', 'upsert', '--migration', 'cli-wave']);
    expect(first).toMatchObject({ code: 0, out: expect.stringContaining('created 2, updated 0, unchanged 0 of 2 accounts; 0 refused') });
    expect(first.err).toContain('100% 2/2 rows: 2 created');
    expect(query<Array<{ name: string; migration: string; alarm_state: number }>>("SELECT name, migration, alarm_state FROM accounts WHERE id LIKE 'cli-gbk-%' ORDER BY id"))
      .toEqual([{ name: '张三', migration: 'cli-wave', alarm_state: 0 }, { name: '李四', migration: 'cli-wave', alarm_state: 0 }]);
    const again = inProcess(['import', 'accounts', 'gbk.csv', '--mode', 'upsert']);
    expect(again.out).toContain('created 0, updated 0, unchanged 2 of 2 accounts; 0 refused (job');
    expect(inProcess(['migration', 'list']).out).toContain('cli-wave  2 accounts held');
    expect(inProcess(['migration', 'release', 'cli-wave'])).toMatchObject({ code: 0, out: expect.stringContaining('released 2 accounts of migration cli-wave') });
    expect(query<Array<{ id: string; alarm_state: number }>>("SELECT id, alarm_state FROM accounts WHERE id LIKE 'cli-gbk-%' ORDER BY id"))
      .toEqual([{ id: 'cli-gbk-1', alarm_state: 2 }, { id: 'cli-gbk-2', alarm_state: 2 }]);
    expect(inProcess(['import', 'accounts', 'gbk.csv', '--encoding', 'latin1']).code).toBe(2);
    expect(inProcess(['import', 'jobs']).out).toMatch(/accounts upsert {2}done {2}gbk\.csv/);
  });

  it('refuses a database that does not exist, naming its path and how to choose another, and creates nothing', () => {
    // SQLite, whichever engine the suite runs on: only a SQLite file can be created by opening it.
    const empty = mkdtempSync(join(tmpdir(), 'feikong-cli-none-'));
    try {
      const nowhere = { FEIKONG_DATA_DIR: join(empty, 'data'), FEIKONG_DATABASE__URL: undefined };
      const path = join(empty, 'data', 'feikong.db');
      writeFileSync(join(dir, 'one-account.csv'), 'id,name\nnone-1,Nobody\n');
      for (const args of [['keys', 'list'], ['keys', 'revoke', 'x'], ['ledger', 'check'], ['import', 'accounts', 'one-account.csv', '--dry-run'], ['import', 'jobs'], ['migration', 'list']]) {
        const res = inProcess(args, nowhere);
        expect(res.code, args.join(' ')).toBe(2);
        expect(res.out).toBe('');
        expect(res.err).toContain(`no database at ${path} (dataDir from FEIKONG_DATA_DIR)`);
        expect(res.err).toContain('--config FILE');
        expect(res.err).not.toContain('--create-database');
      }
      const create = inProcess(['keys', 'create', '--name', 'first', '--role', 'admin'], nowhere);
      expect(create.code).toBe(2);
      expect(create.err).toContain('--create-database');
      expect(existsSync(path)).toBe(false);

      expect(inProcess(['keys', 'list', '--create-database'], nowhere)).toMatchObject({ code: 2, err: expect.stringContaining('keys create only') });
      const made = inProcess(['keys', 'create', '--name', 'first', '--role', 'admin', '--create-database'], nowhere);
      expect(made.code).toBe(0);
      expect(made.err).toContain(`feikong: database: SQLite ${path} (new, created now)\n`);
      expect(existsSync(path)).toBe(true);
      expect(inProcess(['keys', 'list'], nowhere)).toMatchObject({ code: 0, out: expect.stringContaining('first'), err: `feikong: database: SQLite ${path}\n` });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('masks secret-named keys and URL passwords in the configuration', () => {
    expect(maskSecrets({ webhook: { secret: 'abc', url: 'https://u:p@x/y' }, token: 't', port: 1, plain: 'mqtt://broker:1883' })).toEqual({
      webhook: { secret: '********', url: 'https://u:********@x/y' }, token: '********', port: 1, plain: 'mqtt://broker:1883',
    });
  });
});
