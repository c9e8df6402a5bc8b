// Applies migrations-pg/ over the synchronous connection, recording them exactly as drizzle's
// PostgreSQL migrator does (drizzle.__drizzle_migrations: hash, created_at = the journal's time),
// so either may run against the same database. Several daemons starting together migrate once:
// the work is done under the same advisory lock the pool migrator takes (src/db/pg/connection.ts).
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { MIGRATION_LOCK_KEY, PG_MIGRATIONS_DIR } from './connection.js';
import type { PgSyncDatabase } from './sync.js';

export function migratePostgresSync(db: PgSyncDatabase): void {
  const migrations = readMigrationFiles({ migrationsFolder: PG_MIGRATIONS_DIR });
  db.exec(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  try {
    db.exec(`CREATE SCHEMA IF NOT EXISTS drizzle;
      CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
    const last = db.prepare('SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY created_at DESC LIMIT 1').pluck().get() as number | undefined;
    const pending = migrations.filter((m) => last === undefined || last < m.folderMillis);
    if (pending.length === 0) return;
    const record = db.prepare('INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES (?, ?)');
    db.transaction(() => {
      for (const m of pending) {
        for (const statement of m.sql) if (statement.trim()) db.exec(statement);
        record.run(m.hash, m.folderMillis);
      }
    })();
  } finally {
    db.exec(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
  }
}
