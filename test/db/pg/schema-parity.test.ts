// The SQLite and PostgreSQL schemas stay in step: both databases, migrated from their committed
// migrations, have the same tables, columns (name, kind, nullability, default), primary keys,
// unique and plain indexes, and foreign keys.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Sqlite } from '../../../src/db/connection.js';
import { openPostgres, closePostgres, type PgPool } from '../../../src/db/pg/connection.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

interface Column { name: string; kind: 'integer' | 'text'; notNull: boolean; default: string | null }
interface Index { name: string; columns: string[]; unique: boolean; partial: boolean }
interface ForeignKey { columns: string[]; references: string }
interface Table { columns: Column[]; primaryKey: string[]; indexes: Index[]; foreignKeys: ForeignKey[] }
type Shape = Record<string, Table>;

/** Column kinds as the code sees them: every integer width is an integer. */
function kindOf(type: string): Column['kind'] {
  const t = type.toLowerCase();
  if (t === 'integer' || t === 'bigint' || t === 'smallint') return 'integer';
  if (t === 'text') return 'text';
  throw new Error(`unexpected column type ${type}`);
}

/** A default as written, without PostgreSQL's casts ('[]'::text is '[]'). */
function normaliseDefault(value: string | null): string | null {
  return value === null ? null : value.replace(/::[a-z ]+$/i, '');
}

const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
const fkKey = (fk: ForeignKey) => `${fk.columns.join(',')}->${fk.references}`;

function sqliteShape(db: Sqlite): Shape {
  const shape: Shape = {};
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'
    AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '__drizzle_migrations' ORDER BY name`).pluck().all() as string[];
  for (const table of tables) {
    const info = db.prepare(`SELECT name, type, "notnull" AS required, dflt_value AS dflt, pk FROM pragma_table_info(?)`)
      .all(table) as Array<{ name: string; type: string; required: number; dflt: string | null; pk: number }>;
    const indexes = (db.prepare(`SELECT name, "unique", origin, partial FROM pragma_index_list(?) WHERE origin <> 'pk'`)
      .all(table) as Array<{ name: string; unique: number; partial: number }>)
      .map((ix) => ({
        name: ix.name,
        columns: db.prepare(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`).pluck().all(ix.name) as string[],
        unique: ix.unique === 1,
        partial: ix.partial === 1,
      }));
    const fkRows = db.prepare(`SELECT id, "table" AS ref, "from" AS col, "to" AS refCol FROM pragma_foreign_key_list(?) ORDER BY id, seq`)
      .all(table) as Array<{ id: number; ref: string; col: string; refCol: string }>;
    const fks = new Map<number, { columns: string[]; ref: string; refColumns: string[] }>();
    for (const r of fkRows) {
      const fk = fks.get(r.id) ?? { columns: [], ref: r.ref, refColumns: [] };
      fk.columns.push(r.col);
      fk.refColumns.push(r.refCol);
      fks.set(r.id, fk);
    }
    shape[table] = {
      columns: info.map((c) => ({ name: c.name, kind: kindOf(c.type), notNull: c.required === 1, default: normaliseDefault(c.dflt) })).sort(byName),
      primaryKey: info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
      indexes: indexes.sort(byName),
      foreignKeys: [...fks.values()].map((fk) => ({ columns: fk.columns, references: `${fk.ref}(${fk.refColumns.join(',')})` }))
        .sort((a, b) => fkKey(a).localeCompare(fkKey(b))),
    };
  }
  return shape;
}

/**
 * PostgreSQL's stand-in for SQLite's rowid (src/db/dialect.ts rowNumber): an identity column `seq`
 * with a unique index `<table>_seq`, on these tables only. It is checked here and left out of the
 * comparison.
 */
const ROW_NUMBERED = ['accounts', 'meters'];

async function postgresShape(pool: PgPool): Promise<Shape> {
  const shape: Shape = {};
  const tables = (await pool.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`)).rows.map((r) => r.name);
  for (const table of tables) {
    const columns = (await pool.query<{ name: string; type: string; nullable: string; dflt: string | null }>(
      `SELECT column_name AS name, data_type AS type, is_nullable AS nullable, column_default AS dflt
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`, [table])).rows;
    // Index and key columns in their declared order (array positions of indkey / conkey).
    const indexes = (await pool.query<{ name: string; columns: string[]; unique: boolean; primary: boolean; partial: boolean }>(
      `SELECT ic.relname AS name, i.indisunique AS unique, i.indisprimary AS primary, i.indpred IS NOT NULL AS partial,
         ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, pos)
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.pos)::text[] AS columns
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
       WHERE i.indrelid = ('public.' || quote_ident($1))::regclass`, [table])).rows;
    const fks = (await pool.query<{ columns: string[]; ref: string; refColumns: string[] }>(
      `SELECT ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, pos)
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.pos)::text[] AS columns,
         rc.relname AS ref,
         ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, pos)
           JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.pos)::text[] AS "refColumns"
       FROM pg_constraint c JOIN pg_class rc ON rc.oid = c.confrelid
       WHERE c.contype = 'f' AND c.conrelid = ('public.' || quote_ident($1))::regclass`, [table])).rows;
    if (ROW_NUMBERED.includes(table)) {
      expect(columns.find((c) => c.name === 'seq'), `${table}.seq`).toMatchObject({ type: 'bigint', nullable: 'NO' });
      expect(indexes.find((ix) => ix.name === `${table}_seq`), `${table}_seq`).toMatchObject({ columns: ['seq'], unique: true });
    }
    const rowNumber = (name: string) => ROW_NUMBERED.includes(table) && (name === 'seq' || name === `${table}_seq`);
    shape[table] = {
      columns: columns.filter((c) => !rowNumber(c.name))
        .map((c) => ({ name: c.name, kind: kindOf(c.type), notNull: c.nullable === 'NO', default: normaliseDefault(c.dflt) })).sort(byName),
      primaryKey: indexes.find((ix) => ix.primary)?.columns ?? [],
      indexes: indexes.filter((ix) => !ix.primary && !rowNumber(ix.name)).map(({ name, columns, unique, partial }) => ({ name, columns, unique, partial })).sort(byName),
      foreignKeys: fks.map((fk) => ({ columns: fk.columns, references: `${fk.ref}(${fk.refColumns.join(',')})` }))
        .sort((a, b) => fkKey(a).localeCompare(fkKey(b))),
    };
  }
  return shape;
}

/** Per table, a projection of its shape (what one assertion compares). */
function project<T>(shape: Shape, pick: (t: Table) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(shape).map(([name, t]) => [name, pick(t)]));
}

describe('the SQLite and PostgreSQL schemas', () => {
  let server: TestPostgres | undefined;
  let pool: PgPool | undefined;
  let dir: string | undefined;
  let sqlite: Shape;
  let postgres: Shape;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'feikong-parity-'));
    const db = openDatabase(dir);
    try {
      sqlite = sqliteShape(db);
    } finally {
      db.close();
    }
    server = await startPostgres();
    pool = await openPostgres({ connectionString: await server.createDatabase('parity'), max: 2 });
    postgres = await postgresShape(pool);
  });
  afterAll(async () => {
    if (pool) await closePostgres(pool);
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('have the same tables', () => {
    expect(Object.keys(sqlite).length).toBeGreaterThan(0);
    expect(Object.keys(postgres).sort()).toEqual(Object.keys(sqlite).sort());
  });

  it('have the same columns in every table: name, nullability, integer or text, default', () => {
    expect(project(postgres, (t) => t.columns)).toEqual(project(sqlite, (t) => t.columns));
  });

  it('have the same primary keys', () => {
    expect(project(postgres, (t) => t.primaryKey)).toEqual(project(sqlite, (t) => t.primaryKey));
    for (const [name, t] of Object.entries(sqlite)) expect(t.primaryKey.length, name).toBeGreaterThan(0);
  });

  it('have the same unique indexes, by column list (and whether partial)', () => {
    const unique = (t: Table) => t.indexes.filter((ix) => ix.unique).map((ix) => `${ix.columns.join(',')}${ix.partial ? ' (partial)' : ''}`).sort();
    expect(project(postgres, unique)).toEqual(project(sqlite, unique));
    expect(unique(sqlite.payments!)).toContain('channel,channel_txn_id');
  });

  it('have the same plain indexes, by name and column list', () => {
    const plain = (t: Table) => t.indexes.filter((ix) => !ix.unique).map((ix) => `${ix.name}(${ix.columns.join(',')})`);
    expect(project(postgres, plain)).toEqual(project(sqlite, plain));
  });

  it('have the same foreign keys', () => {
    expect(project(postgres, (t) => t.foreignKeys)).toEqual(project(sqlite, (t) => t.foreignKeys));
  });
});
