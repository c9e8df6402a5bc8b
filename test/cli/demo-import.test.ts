// The demo's own meters through the CLI. The demo writes its configuration to a file
// (scripts/demo-config.ts) that its daemon loads; given the same file (FEIKONG_CONFIG), the CLI
// works on the demo's database and accepts scripts/demo-meters.csv on the demo's bus, exactly as
// the API does. Without it the CLI checks the meters against a configuration with no buses,
// refuses the bus, and says which configuration it used and how to give the daemon's.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { createApiKey } from '../../src/http/auth.js';
import { runCli } from '../../src/cli/cli.js';
import { databaseLine } from '../../src/cli/database.js';
import { DEMO_BUS, demoConfig, writeDemoConfig } from '../../scripts/demo-config.js';
import { dropTestDatabase, testDatabaseConfig, testDatabaseEnv } from '../helpers/database.js';
import { freePort } from '../helpers/net.js';

const root = resolve(import.meta.dirname, '../..');
const ACCOUNTS_CSV = join(root, 'scripts/demo-accounts.csv');
const METERS_CSV = join(root, 'scripts/demo-meters.csv');
const SPAWN_TIMEOUT = 120_000;

let dir: string;
let dataDir: string;
let configFile: string;
let daemon: Daemon;
let admin: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'feikong-demo-cli-'));
  dataDir = join(dir, 'data');
  configFile = join(dir, 'feikong.json');
  // The demo's configuration; the DTU's port has nothing behind it (the meters stay silent).
  writeDemoConfig(configFile, {
    ...demoConfig({ dataDir, simPort: await freePort(), seedFile: join(root, 'scripts/demo-fleet.json') }),
    database: testDatabaseConfig(dataDir),
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { embeddedHost: '127.0.0.1', embeddedPort: 0 },
  });
  daemon = await startDaemon(loadConfig({ file: configFile, env: {} }), createLogger('silent'));
  admin = createApiKey(daemon.repos, 'test-admin', 'admin', Date.now()).secret;
});
afterAll(async () => {
  await daemon?.stop();
  dropTestDatabase(dataDir);
  rmSync(dir, { recursive: true, force: true });
});

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FEIKONG_'))), USER: 'tester', ...extra };
}

async function postCsv(path: string, file: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${daemon.httpUrl}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv' }, body: readFileSync(file, 'utf8'),
  });
  return { status: res.status, body: await res.json() };
}

describe("the demo's meters CSV", () => {
  it('is accepted by the API and by the CLI given the demo\'s configuration, on the same database', async () => {
    const accounts = await postCsv('/v1/import/accounts', ACCOUNTS_CSV);
    expect(accounts).toMatchObject({ status: 200, body: { created: 1, errors: [] } });
    const viaApi = await postCsv('/v1/import/meters?dryRun=true', METERS_CSV);
    expect(viaApi).toMatchObject({ status: 200, body: { dryRun: true, created: 1, errors: [] } });

    const viaCli = await new Promise<{ code: number; out: string; err: string }>((done) => {
      execFile(process.execPath, [join(root, 'bin/feikong.mjs'), 'import', 'meters', METERS_CSV], {
        cwd: dir, env: cleanEnv({ FEIKONG_CONFIG: configFile }), timeout: SPAWN_TIMEOUT,
      }, (error, out, err) => done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out, err }));
    });
    expect(viaCli.code).toBe(0);
    expect(viaCli.out).toMatch(/^created 1 of 1 meters; 0 refused \(job [0-9a-f-]{36}, utf-8\)\n$/);
    // The database first, then the import's progress, all on stderr.
    expect(viaCli.err.startsWith(`feikong: database: ${databaseLine({ dataDir, database: testDatabaseConfig(dataDir) })}\n`)).toBe(true);

    // The daemon sees the meter the CLI created: one database.
    const meter = await fetch(`${daemon.httpUrl}/v1/meters/meter-06`, { headers: { authorization: `Bearer ${admin}` } });
    expect(meter.status).toBe(200);
    expect(await meter.json()).toMatchObject({ id: 'meter-06', accountId: 'demo-06', busId: DEMO_BUS });
  }, SPAWN_TIMEOUT);

  it('without the demo\'s configuration, the bus is refused and the CLI says which configuration it checked against', () => {
    let out = '';
    let err = '';
    const sink = (add: (s: string) => void) => new Writable({ write(chunk, _enc, done) { add(String(chunk)); done(); } });
    const code = runCli(['import', 'meters', METERS_CSV, '--dry-run'], {
      out: sink((s) => (out += s)), err: sink((s) => (err += s)), env: cleanEnv({ FEIKONG_DATA_DIR: dataDir, ...testDatabaseEnv(dataDir) }),
    });
    expect(code).toBe(1);
    expect(out).toContain(`BUS_UNKNOWN busId: bus "${DEMO_BUS}" is not configured`);
    expect(err).toContain('the configuration the CLI loaded (no configuration file; buses: none)');
    expect(err).toContain('--config FILE');
  });
});
