// A key revoked with the CLI while a daemon runs on the same database: the daemon caches known keys
// for a few seconds (src/db/repo/journal.ts), so the revocation, made by another connection, takes
// effect once that cache entry is older than its bound — never later. A revocation through the
// daemon's own API takes effect at once (test/http/keys.test.ts).
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { testDatabaseEnv } from '../helpers/database.js';
import { runCli } from '../../src/cli/cli.js';

/** The daemon's bound on how long a known key is trusted without looking again (KEY_CACHE_MS). */
const KEY_CACHE_MS = 5_000;

let fk: TestDaemon;

beforeAll(async () => {
  fk = await startTestDaemon();
});
afterAll(async () => fk?.stop());

function cli(args: string[]): { code: number; out: string } {
  let out = '';
  const sink = new Writable({ write(chunk, _enc, done) { out += String(chunk); done(); } });
  const quiet = new Writable({ write(_chunk, _enc, done) { done(); } });
  const code = runCli(args, { out: sink, err: quiet, env: { FEIKONG_DATA_DIR: fk.dataDir, ...testDatabaseEnv(fk.dataDir), USER: 'tester' } });
  return { code, out };
}

describe('revoking a key with the CLI while the daemon runs', () => {
  it('stops the key within the daemon\'s key cache bound', async () => {
    const created = cli(['keys', 'create', '--name', 'temp-billing', '--role', 'billing']);
    expect(created.code).toBe(0);
    const id = /created key (\S+)/.exec(created.out)![1]!;
    const secret = /secret: (\S+)/.exec(created.out)![1]!;
    const call = () => fetch(`${fk.daemon.httpUrl}/v1/accounts?limit=1`, { headers: { authorization: `Bearer ${secret}` } }).then((r) => r.status);
    expect(await call()).toBe(200); // known to the daemon now, and cached

    expect(cli(['keys', 'revoke', id]).code).toBe(0);
    const status = await eventually(async () => {
      const s = await call();
      expect(s).toBe(401);
      return s;
    }, KEY_CACHE_MS + 5_000, 100);
    expect(status).toBe(401);
    // It stays refused: the cache never brings a revoked key back.
    expect(await call()).toBe(401);
  });
});
