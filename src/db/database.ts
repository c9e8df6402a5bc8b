// The database handle the repositories are written against: the part of better-sqlite3's
// synchronous surface they use (prepared statements, transactions), met by SQLite itself and by
// the synchronous PostgreSQL driver (src/db/pg/sync.ts). Repositories stay synchronous on both:
// a transaction is one uninterrupted piece of the event loop, as it always was on SQLite.
// Statements are written once, in SQL both engines run; `dialect` chooses where they differ.

export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  /** rows the statement inserted, updated or deleted */
  changes: number;
  /** SQLite only: the rowid of the last row inserted (PostgreSQL answers with RETURNING instead) */
  lastInsertRowid?: number | bigint;
}

export interface Statement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): RunResult;
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** The statement, answering with the first column's value instead of a row. */
  pluck(toggle?: boolean): Statement;
}

export interface Transaction<F extends (...args: never[]) => unknown> {
  (...args: Parameters<F>): ReturnType<F>;
  /** SQLite: BEGIN IMMEDIATE (the write lock at once); PostgreSQL: the writer lock at once. */
  immediate(...args: Parameters<F>): ReturnType<F>;
  deferred(...args: Parameters<F>): ReturnType<F>;
}

export interface Database {
  readonly dialect: Dialect;
  /** false once closed */
  readonly open: boolean;
  /** true inside `transaction(fn)` */
  readonly inTransaction: boolean;
  prepare(sql: string): Statement;
  /** `fn` as one transaction; called inside another, as a savepoint that rolls back alone. */
  transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F>;
  /** Runs one or more statements without parameters. */
  exec(sql: string): unknown;
  close(): unknown;
}

/** What a failed statement broke, in either engine's words. */
export type ConstraintKind = 'unique' | 'primary-key' | 'foreign-key';

/**
 * The constraint a database error reports, or undefined for any other error. SQLite names it in
 * its extended result code; PostgreSQL in SQLSTATE 23505 (unique, primary keys included, told
 * apart by the constraint's name: `_pkey` as PostgreSQL names them, `_pk` as the migrations do) and 23503 (foreign key).
 */
export function constraintViolation(err: unknown): ConstraintKind | undefined {
  const e = err as { code?: unknown; constraint?: unknown };
  switch (e?.code) {
    case 'SQLITE_CONSTRAINT_UNIQUE': return 'unique';
    case 'SQLITE_CONSTRAINT_PRIMARYKEY': return 'primary-key';
    case 'SQLITE_CONSTRAINT_FOREIGNKEY': return 'foreign-key';
    case '23505': return typeof e.constraint === 'string' && /_pk(ey)?$/.test(e.constraint) ? 'primary-key' : 'unique';
    case '23503': return 'foreign-key';
    default: return undefined;
  }
}
