// Opens the configured database: SQLite under `dataDir` unless `database.url` names a PostgreSQL
// database, which several daemons may share. Either way migrations are applied first.
import type { Config } from '../config/schema.js';
import { openDatabase } from './connection.js';
import type { Database } from './database.js';
import { connectPostgresSync } from './pg/sync.js';
import { migratePostgresSync } from './pg/migrate-sync.js';

export function openConfiguredDatabase(config: Pick<Config, 'dataDir' | 'database'>): Database {
  const url = config.database.url;
  if (url === undefined) return openDatabase(config.dataDir);
  const db = connectPostgresSync(url);
  try {
    migratePostgresSync(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Where the data lives, for logs: the SQLite directory, or the PostgreSQL server and database without credentials. */
export function describeDatabase(config: Pick<Config, 'dataDir' | 'database'>): Record<string, string> {
  const url = config.database.url;
  if (url === undefined) return { engine: 'sqlite', dataDir: config.dataDir };
  try {
    const u = new URL(url);
    return { engine: 'postgres', host: u.host, database: u.pathname.replace(/^\//, '') };
  } catch {
    return { engine: 'postgres' };
  }
}
