// Opens a PostgreSQL connection pool (node-postgres) and applies the committed migrations
// (migrations-pg/, generated from src/db/pg/schema.ts) before anything else touches the database.
// Several daemons may share one database and start at once: migrating is serialised by an
// advisory lock. Money, energy and times are bigint; the pool reads them as JS numbers and refuses
// any value a number cannot hold exactly (docs/design.md, "Money and energy").
import { existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';

export type PgPool = pg.Pool;

/** migrations-pg/ at the package root, found from here whether running from src/ or compiled dist/src/. */
function findMigrations(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'migrations-pg');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
    dir = resolve(dir, '..');
  }
  throw new Error('migrations-pg/ not found above ' + fileURLToPath(import.meta.url));
}

export const PG_MIGRATIONS_DIR = findMigrations();

/** Any 64-bit key, the same in every daemon: holders of this advisory lock are migrating. */
export const MIGRATION_LOCK_KEY = 0x6665696b6f6e67n; // "feikong"

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** int8 (bigint) text to a JS number, refusing values a number cannot hold exactly. */
export function parseInt8(text: string): number {
  const value = BigInt(text);
  if (value > MAX_SAFE || value < -MAX_SAFE) {
    throw new RangeError(`bigint value ${text} is beyond Number.MAX_SAFE_INTEGER and cannot be read as a number`);
  }
  return Number(value);
}

/** The pool's type parsers: int8 as a safe number, everything else as node-postgres does by default. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 && format !== 'binary') return parseInt8;
    return pg.types.getTypeParser(oid, format ?? 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PgOptions {
  /** e.g. postgres://feikong@db.example:5432/feikong */
  connectionString: string;
  /** connections in the pool (node-postgres default 10) */
  max?: number;
}

/** A pool with the int8 parser, without touching the schema. */
export function createPool(options: PgOptions): PgPool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    types,
    ...(options.max === undefined ? {} : { max: options.max }),
  });
  // An idle connection that breaks (server restart) is dropped by the pool; without a listener
  // its error would crash the process.
  pool.on('error', () => undefined);
  return pool;
}

/** Applies migrations-pg/ under the advisory lock, so that daemons starting together migrate once. */
export async function migratePostgres(pool: PgPool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await migrate(drizzle({ client }), { migrationsFolder: PG_MIGRATIONS_DIR });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
    client.release();
  } catch (err) {
    // A connection left mid-transaction or still holding the lock is not given back to the pool.
    client.release(err instanceof Error ? err : true);
    throw err;
  }
}

/** Opens the pool and brings the schema up to date; the pool is closed again if migrating fails. */
export async function openPostgres(options: PgOptions): Promise<PgPool> {
  const pool = createPool(options);
  try {
    await migratePostgres(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return pool;
}

/** Waits for checked-out connections to come back, then closes every connection. */
export async function closePostgres(pool: PgPool): Promise<void> {
  if (!pool.ended) await pool.end();
}
