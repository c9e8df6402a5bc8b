// The synchronous PostgreSQL connection the repositories run on (src/db/pg/sync.ts), against a
// private server: placeholders, values read as SQLite gives them, errors, transactions and
// savepoints, and a connection that breaks between statements.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connectPostgresSync, translatePlaceholders, type PgSyncDatabase } from '../../../src/db/pg/sync.js';
import { constraintViolation } from '../../../src/db/database.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

describe('placeholders', () => {
  it('numbers ? and @name in order, a repeated name once, and leaves literals, identifiers and comments alone', () => {
    expect(translatePlaceholders(`SELECT ?, 'a?b', "c?" FROM t WHERE x = ? -- why?\n AND y = ?`)).toEqual({
      text: `SELECT $1, 'a?b', "c?" FROM t WHERE x = $2 -- why?\n AND y = $3`, positional: 3, names: [],
    });
    expect(translatePlaceholders(`UPDATE t SET a = @a, b = '@b' /* @c */ WHERE id = @id AND a <> @a`)).toEqual({
      text: `UPDATE t SET a = $1, b = '@b' /* @c */ WHERE id = $2 AND a <> $1`, positional: 0, names: ['a', 'id'],
    });
    expect(translatePlaceholders(`SELECT 'it''s ?', ?`).text).toBe(`SELECT 'it''s ?', $1`);
  });

  it('refuses a statement that mixes both kinds', () => {
    expect(() => translatePlaceholders('SELECT ? WHERE a = @a')).toThrow(/mixes/);
  });

  it('a string literal of any text keeps its question marks and at-signs', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const literal = `'${text.replace(/'/g, "''")}'`;
      const out = translatePlaceholders(`SELECT ${literal}, ?`);
      expect(out.text).toBe(`SELECT ${literal}, $1`);
      expect(out.positional).toBe(1);
    }));
  });
});

describe('a synchronous connection', () => {
  let server: TestPostgres;
  let url: string;
  let db: PgSyncDatabase;

  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('sync_test');
    db = connectPostgresSync(url);
    db.exec(`CREATE TABLE t (id text PRIMARY KEY, n bigint NOT NULL, note text)`);
  }, 60_000);

  afterAll(async () => {
    db?.close();
    await server?.stop();
  });

  it('reads integers, sums and booleans as numbers, NULL as null, and refuses an integer a number cannot hold', () => {
    const row = db.prepare(`SELECT CAST(? AS bigint) AS "big", SUM(x) AS "total", 1 < 2 AS yes, 1 > 2 AS no, NULL AS nothing
      FROM (VALUES (CAST(1 AS bigint)), (2)) AS v(x)`).get(Number.MAX_SAFE_INTEGER);
    expect(row).toEqual({ big: Number.MAX_SAFE_INTEGER, total: 3, yes: 1, no: 0, nothing: null });
    expect(() => db.prepare(`SELECT CAST('9007199254740993' AS bigint)`).pluck().get()).toThrow(/MAX_SAFE_INTEGER/);
  });

  it('run() counts changed rows; pluck() answers with the first column', () => {
    expect(db.prepare(`INSERT INTO t (id, n) VALUES (@id, @n) ON CONFLICT DO NOTHING`).run({ id: 'a', n: 1 }).changes).toBe(1);
    expect(db.prepare(`INSERT INTO t (id, n) VALUES (@id, @n) ON CONFLICT DO NOTHING`).run({ id: 'a', n: 1 }).changes).toBe(0);
    expect(db.prepare(`SELECT n FROM t WHERE id = ?`).pluck().get('a')).toBe(1);
    expect(db.prepare(`SELECT id FROM t WHERE id = ?`).get('none')).toBeUndefined();
  });

  it('names a broken constraint as SQLite would be told apart', () => {
    let err: unknown;
    try {
      db.prepare(`INSERT INTO t (id, n) VALUES (?, ?)`).run('a', 2);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: '23505', constraint: 't_pkey' });
    expect(constraintViolation(err)).toBe('primary-key');
    expect(() => db.prepare(`SELECT ? AS x`).get()).toThrow(/takes 1 parameters, 0 given/);
    expect(() => db.prepare(`SELECT @x AS x`).get({})).toThrow(/missing named parameter @x/);
  });

  it('a transaction commits as one or not at all; a nested one rolls back alone', () => {
    const insert = db.prepare(`INSERT INTO t (id, n) VALUES (?, ?)`);
    const count = db.prepare(`SELECT COUNT(*) FROM t WHERE id LIKE 'tx-%'`).pluck();
    expect(() => db.transaction(() => {
      insert.run('tx-1', 1);
      insert.run('tx-1', 2);
    })()).toThrow();
    expect(count.get()).toBe(0);

    db.transaction(() => {
      insert.run('tx-2', 1);
      expect(() => db.transaction(() => insert.run('tx-2', 2))()).toThrow();
      insert.run('tx-3', 3); // the outer transaction goes on after the savepoint's failure
    }).immediate();
    expect(count.get()).toBe(2);
  });

  it('a deferred transaction reads one snapshot and may not write', () => {
    expect(() => db.transaction(() => db.prepare(`INSERT INTO t (id, n) VALUES ('ro', 1)`).run()).deferred()).toThrow(/read-only/);
    expect(db.prepare(`SELECT COUNT(*) FROM t WHERE id = 'ro'`).pluck().get()).toBe(0);
  });

  it('prepares a statement again once its plans are replanMs old: a plan made on an empty table does not outlive its growth', () => {
    let clock = 1_000_000; // a controlled clock: the plans' age does not depend on the machine's speed
    const conn = connectPostgresSync(url, { replanMs: 400, now: () => clock });
    try {
      conn.exec(`CREATE TABLE grows (k text NOT NULL, ts bigint NOT NULL, PRIMARY KEY (k, ts)) WITH (autovacuum_enabled = false)`);
      conn.exec('VACUUM grows'); // known empty, as a new database's tables are once autovacuum has seen them
      const lookup = conn.prepare(`SELECT ts FROM grows WHERE k = ? AND ts < ? ORDER BY ts DESC LIMIT 1`).pluck();
      const names = conn.prepare(`SELECT name FROM pg_prepared_statements WHERE statement LIKE '%FROM grows WHERE k%'
        AND statement NOT LIKE '%pg_prepared_statements%' ORDER BY name`).pluck();
      const plan = () => {
        const [name] = names.all() as string[];
        return (conn.prepare(`EXPLAIN EXECUTE ${name!}('k7', 500)`).pluck().all() as string[]).join('\n');
      };
      for (let i = 0; i < 10; i++) expect(lookup.get('k7', 500)).toBeUndefined();
      const [first] = names.all() as string[];
      conn.exec(`INSERT INTO grows SELECT 'k' || (i % 1000), i FROM generate_series(1, 50000) AS i`);
      expect(lookup.get('k7', 500)).toBe(7); // 7 is the only key of k7 below 500
      expect(names.all()).toEqual([first]); // within replanMs: the same statement, its plan made on the empty table
      expect(plan()).toMatch(/Seq Scan/);
      clock += 399;
      expect(lookup.get('k7', 500)).toBe(7);
      expect(names.all()).toEqual([first]); // 1 ms short of replanMs: still the old statement
      clock += 1;
      for (let i = 0; i < 10; i++) expect(lookup.get('k7', 500)).toBe(7);
      const again = names.all() as string[];
      expect(again).toHaveLength(1); // the old one deallocated
      expect(again[0]).not.toBe(first);
      expect(plan()).toMatch(/Index/);
      expect(plan()).not.toMatch(/Seq Scan/);
    } finally {
      conn.exec('DROP TABLE IF EXISTS grows');
      conn.close();
    }
  });

  it('a connection the server dropped is opened again before the next statement', () => {
    const other = connectPostgresSync(url);
    const pid = db.prepare('SELECT pg_backend_pid()').pluck().get() as number;
    const select = db.prepare(`SELECT n FROM t WHERE id = ?`).pluck();
    expect(select.get('a')).toBe(1);
    other.prepare('SELECT pg_terminate_backend(?)').get(pid);
    other.close();
    expect(() => select.get('a')).toThrow(); // the statement that meets the broken connection fails
    expect(select.get('a')).toBe(1); // the next one runs on a new connection, prepared again
    expect(db.prepare('SELECT pg_backend_pid()').pluck().get()).not.toBe(pid);
  });
});
