// Opens the SQLite database under the data directory in WAL mode and applies the committed
// migrations (migrations/) before anything else touches it.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from './database.js';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';

/** The SQLite handle itself, for what only SQLite has (pragmas, backups). */
export type Sqlite = BetterSqlite3.Database & Database;

/** migrations/ at the package root, found from here whether running from src/ or compiled dist/src/. */
function findMigrations(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
    dir = resolve(dir, '..');
  }
  throw new Error('migrations/ not found above ' + fileURLToPath(import.meta.url));
}

export const MIGRATIONS_DIR = findMigrations();

/** WAL pages between the connection's own checkpoints (see openDatabase). */
export const SQLITE_WAL_AUTOCHECKPOINT_PAGES = 10_000;

export function openDatabase(dataDir: string): Sqlite {
  mkdirSync(dataDir, { recursive: true });
  const db = new BetterSqlite3(join(dataDir, 'feikong.db')) as Sqlite;
  Object.defineProperty(db, 'dialect', { value: 'sqlite', enumerable: true });
  db.pragma('journal_mode = WAL');
  // FULL: a committed (acknowledged) payment or reading survives power loss, not only a crash.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Readings, balances and meter rows are written all over their tables: a batch of readings from
  // thousands of meters dirties a page per meter. A larger WAL between checkpoints (10,000 pages,
  // about 40 MiB) copies each hot page to the database file once per checkpoint rather than once
  // per commit, and a 64 MiB page cache keeps the fleet's hot pages in memory (SQLite's default
  // is 2 MiB). Both are bounds, not per-meter state. The daemon moves checkpoints to a worker
  // thread (src/db/checkpointer.ts).
  db.pragma(`wal_autocheckpoint = ${SQLITE_WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma('cache_size = -65536');
  // Savepoints (per-item retries in group commits and ingest batches) spill to memory, not disk.
  db.pragma('temp_store = MEMORY');
  migrate(drizzle(db), { migrationsFolder: MIGRATIONS_DIR });
  return db;
}
