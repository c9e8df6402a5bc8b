// The database a test runs on: SQLite in the test's directory, or, when the suite runs on
// PostgreSQL (test/setup/postgres-suite.ts), a database of its own copied from the migrated
// template. A directory names its database, so a daemon restarted on the same directory finds
// its data again, and two daemons given one directory share one database.
import { createHash } from 'node:crypto';
import { connectPostgresSync, type PgSyncDatabase } from '../../src/db/pg/sync.js';

const server = process.env.FK_TEST_PG_SERVER;
const TEMPLATE = 'feikong_template';

/** The engine this run of the suite tests. */
export const testDialect: 'sqlite' | 'postgres' = server ? 'postgres' : 'sqlite';

const created = new Set<string>();

function databaseName(dataDir: string): string {
  return 't_' + createHash('sha256').update(dataDir).digest('hex').slice(0, 24);
}

function urlOf(name: string): string {
  const u = new URL(server!);
  u.pathname = '/' + name;
  return u.toString();
}

function admin<T>(fn: (db: PgSyncDatabase) => T): T {
  const db = connectPostgresSync(server!);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/**
 * The `database` configuration for a test directory: {} on SQLite; on PostgreSQL the url of the
 * directory's database, created from the template on first use.
 */
export function testDatabaseConfig(dataDir: string): { url?: string } {
  if (!server) return {};
  const name = databaseName(dataDir);
  if (!created.has(name)) {
    admin((db) => {
      const exists = db.prepare('SELECT 1 FROM pg_database WHERE datname = ?').get(name);
      if (!exists) db.exec(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
    });
    created.add(name);
  }
  return { url: urlOf(name) };
}

/** Drops the directory's database (PostgreSQL), closing whatever is still connected to it. */
export function dropTestDatabase(dataDir: string): void {
  if (!server) return;
  const name = databaseName(dataDir);
  if (!created.delete(name)) return;
  admin((db) => db.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** FEIKONG_* environment for a daemon process on the test directory's database. */
export function testDatabaseEnv(dataDir: string): Record<string, string> {
  const { url } = testDatabaseConfig(dataDir);
  return url ? { FEIKONG_DATABASE__URL: url } : {};
}
