// A real database in a fresh temporary directory (SQLite, or PostgreSQL when the suite runs on it; migrations applied), its repositories, a
// validated configuration with one TCP bus, and shortcuts to create accounts and meters.
// `cleanup()` closes the database and removes the directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../../src/db/database.js';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { dropTestDatabase, testDatabaseConfig } from './database.js';
import { createRepositories, type Repositories, type AccountRow, type MeterRow } from '../../src/db/repo/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createAccount, createMeter, type AccountInput } from '../../src/fleet.js';

export const BUS_ID = 'line-1';

export interface TestDb {
  dir: string;
  db: Database;
  repos: Repositories;
  config: Config;
  /** Creates an account (configuration defaults for whatever is not given). */
  account(input: Partial<AccountInput> & { id: string }, now?: number): AccountRow;
  /** Creates a meter on the test bus for an account; addresses are allocated in sequence. */
  meter(id: string, accountId: string, now?: number): MeterRow;
  cleanup(): void;
}

export function openTestDb(): TestDb {
  const dir = mkdtempSync(join(tmpdir(), 'feikong-db-'));
  const config = validateConfig({ dataDir: dir, database: testDatabaseConfig(dir), buses: [{ id: BUS_ID, kind: 'tcp', host: '127.0.0.1', port: 1 }] });
  const db = openConfiguredDatabase(config);
  const repos = createRepositories(db);
  let nextAddress = 1;
  let closed = false;
  return {
    dir,
    db,
    repos,
    config,
    account(input, now = 0) {
      return createAccount(repos, config, { name: `Customer ${input.id}`, ...input }, 'test', now);
    },
    meter(id, accountId, now = 0) {
      const address = String(nextAddress++).padStart(12, '0');
      return createMeter(repos, config, { id, accountId, protocol: 'dlt645', busId: BUS_ID, address }, 'test', now);
    },
    cleanup() {
      if (closed) return;
      closed = true;
      db.close();
      dropTestDatabase(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
