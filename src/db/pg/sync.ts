// A synchronous PostgreSQL connection behind the repositories' Database interface
// (src/db/database.ts), on libpq's blocking calls (the `libpq` binding): the daemon waits for a
// round trip the way it waits for SQLite's fsync, and a transaction stays one uninterrupted piece
// of the event loop, so the repositories and services run unchanged on both engines.
//
// What it translates, and nothing more:
// - placeholders: `?` (positional) and `@name` (named, from one object) become $1, $2, …;
// - results: int2/int4/int8/numeric/float to numbers (int8 and numeric refused beyond
//   Number.MAX_SAFE_INTEGER, as money and energy must stay exact), booleans to 1/0 as SQLite
//   gives them, everything else as text;
// - errors: SQLSTATE in `code`, the constraint's name in `constraint`, the table in `table`.
//
// Transactions: the outermost one takes a transaction-scoped advisory lock, the writer lock,
// before its first statement, so writing transactions from every daemon on the database follow
// one another as they do on SQLite (the repositories read, decide and write inside one
// transaction). Each commits with synchronous_commit on. `deferred()` is a read-only snapshot
// (REPEATABLE READ) that takes no lock. Nested transactions are savepoints.
import { createRequire } from 'node:module';
import type { Database, Dialect, RunResult, Statement, Transaction } from '../database.js';
import { parseInt8 } from './connection.js';

interface Libpq {
  connectSync(conninfo: string): void;
  finish(): void;
  exec(text: string): void;
  execParams(text: string, params: Array<string | null>): void;
  prepare(name: string, text: string, nParams: number): void;
  execPrepared(name: string, params: Array<string | null>): void;
  resultStatus(): string;
  resultErrorMessage(): string;
  resultErrorFields(): { sqlState?: string; constraintName?: string; tableName?: string; messageDetail?: string };
  errorMessage(): string;
  ntuples(): number;
  nfields(): number;
  fname(i: number): string;
  ftype(i: number): number;
  getvalue(row: number, col: number): string;
  getisnull(row: number, col: number): boolean;
  cmdTuples(): string;
  transactionStatus(): number;
}

/**
 * The native binding, loaded on first use: a daemon on SQLite never needs it. It is an optional
 * dependency (it builds from source with PostgreSQL's headers), so `npm ci` succeeds without it.
 */
let binding: (new () => Libpq) | undefined;
function newLibpq(): Libpq {
  if (binding === undefined) {
    try {
      binding = createRequire(import.meta.url)('libpq') as new () => Libpq;
    } catch (err) {
      throw new Error(
        'database.url is set, so PostgreSQL is used, but its client binding, the npm package "libpq", is not installed. '
        + 'It builds from source: install PostgreSQL\'s client headers and a compiler '
        + '(Debian: sudo apt-get install libpq-dev python3 make g++), then run: npm install libpq. '
        + `(${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
      );
    }
  }
  return new binding();
}

/** Any 64-bit key, the same in every daemon: the holder is the one writing transaction. */
export const WRITER_LOCK_KEY = '7306377017429059431'; // "feikong" + 'W'

export class PgError extends Error {
  constructor(message: string, readonly code: string | undefined, readonly constraint: string | undefined,
    readonly table: string | undefined, readonly detail: string | undefined, readonly sql: string) {
    super(`${message} (in: ${sql.replace(/\s+/g, ' ').slice(0, 160)})`);
    this.name = 'PgError';
  }
}

/**
 * Closes a libpq connection. The binding closes its socket watcher with uv_close and lets the
 * object be collected at once; collected before the event loop has finished closing the watcher,
 * it takes the watcher's memory with it and libuv aborts the process. A closed connection is kept
 * referenced until the loop has been through its close phase: the loop closes the watcher at the
 * end of the iteration it is in (or the next), and an immediate queued from the next iteration's
 * check phase runs after that, however long the loop was blocked in between.
 */
const finishing = new Set<Libpq>();
function finish(pq: Libpq): void {
  pq.finish();
  finishing.add(pq);
  setImmediate(() => setImmediate(() => finishing.delete(pq)).unref()).unref();
}

/** PQtransactionStatus: no transaction open; a transaction that failed; the connection is bad */
const PQTRANS_IDLE = 0, PQTRANS_INERROR = 3, PQTRANS_UNKNOWN = 4;

/**
 * How long a prepared statement keeps its plans. PostgreSQL plans a prepared statement anew only
 * when a table's definition or statistics change (ANALYZE), not as the table grows: a generic plan
 * made while `readings` was empty — a sequential scan — was still in use 73 s later, with 100,000
 * rows, at 2.5–3.3 ms a lookup (0.07 ms by the index). Preparing each statement again after this
 * long bounds a stale plan's life. A re-preparation (DEALLOCATE, PREPARE, a custom plan) measured
 * 140–175 µs over a lookup's 62–68 µs: for the daemon's couple of hundred statements, under
 * 40 ms in 30 s.
 */
export const REPLAN_MS = 30_000;

// Type OIDs (pg_type.dat).
const BOOL = 16, INT8 = 20, INT2 = 21, INT4 = 23, OID = 26, FLOAT4 = 700, FLOAT8 = 701, NUMERIC = 1700;

function parseNumeric(text: string): number {
  if (/^-?\d+$/.test(text)) return parseInt8(text);
  const n = Number(text);
  if (!Number.isFinite(n)) throw new RangeError(`numeric value ${text} cannot be read as a number`);
  return n;
}

function readValue(type: number, text: string): unknown {
  switch (type) {
    case INT2: case INT4: case OID: case FLOAT4: case FLOAT8: return Number(text);
    case INT8: return parseInt8(text);
    case NUMERIC: return parseNumeric(text);
    case BOOL: return text === 't' ? 1 : 0;
    default: return text;
  }
}

function toParam(value: unknown, sql: string): string | null {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string': return value;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`parameter ${value} is not a finite number (${sql.slice(0, 80)})`);
      return String(value);
    case 'bigint': return String(value);
    case 'boolean': return value ? '1' : '0';
    default:
      if (Buffer.isBuffer(value)) return '\\x' + value.toString('hex');
      throw new TypeError(`parameter of type ${typeof value} cannot be bound (${sql.slice(0, 80)})`);
  }
}

export interface Translated {
  text: string;
  /** positional: how many `?`; named: the name of each $n in order */
  positional: number;
  names: string[];
}

/**
 * SQLite-style placeholders to PostgreSQL's $n, outside string literals, quoted identifiers and
 * comments. One statement uses positional or named placeholders, not both.
 */
export function translatePlaceholders(sql: string): Translated {
  let out = '';
  let positional = 0;
  const names: string[] = [];
  for (let i = 0; i < sql.length;) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = closing(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '?') {
      out += '$' + ++positional;
      i++;
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /\w/.test(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      let index = names.indexOf(name);
      if (index === -1) index = names.push(name) - 1;
      out += '$' + (index + 1);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  if (positional > 0 && names.length > 0) throw new Error(`statement mixes ? and @name placeholders: ${sql.slice(0, 120)}`);
  return { text: out, positional, names };
}

function closing(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i++;
      else return i + 1;
    }
  }
  return sql.length;
}

class PgStatement implements Statement {
  private name: string | undefined;
  /** the connection the statement was prepared on (a new connection forgets prepared statements) */
  private preparedOn = -1;
  private preparedAt = 0;
  private plucked = false;
  private readonly translated: Translated;

  constructor(private readonly conn: PgSyncDatabase, readonly source: string) {
    this.translated = translatePlaceholders(source);
  }

  pluck(toggle = true): Statement {
    this.plucked = toggle;
    return this;
  }

  get(...params: unknown[]): unknown {
    const rows = this.execute(params);
    return rows[0];
  }

  all(...params: unknown[]): unknown[] {
    return this.execute(params);
  }

  run(...params: unknown[]): RunResult {
    this.execute(params, false);
    return { changes: Number(this.conn.pq.cmdTuples() || 0) };
  }

  iterate(...params: unknown[]): IterableIterator<unknown> {
    return this.execute(params)[Symbol.iterator]();
  }

  private bind(params: unknown[]): Array<string | null> {
    const { positional, names } = this.translated;
    if (names.length > 0) {
      const bag = params[0];
      if (params.length !== 1 || bag === null || typeof bag !== 'object') {
        throw new TypeError(`statement takes named parameters (${names.join(', ')}) as one object: ${this.source.slice(0, 80)}`);
      }
      return names.map((n) => {
        if (!(n in bag)) throw new TypeError(`missing named parameter @${n}: ${this.source.slice(0, 80)}`);
        return toParam((bag as Record<string, unknown>)[n], this.source);
      });
    }
    const flat = params.length === 1 && Array.isArray(params[0]) ? params[0] as unknown[] : params;
    if (flat.length !== positional) {
      throw new RangeError(`statement takes ${positional} parameters, ${flat.length} given: ${this.source.slice(0, 80)}`);
    }
    return flat.map((v) => toParam(v, this.source));
  }

  private execute(params: unknown[], rows = true): unknown[] {
    const values = this.bind(params);
    this.conn.ensureConnected();
    const pq = this.conn.pq;
    const now = this.conn.now();
    let name = this.preparedOn === this.conn.connection ? this.name : undefined;
    if (name !== undefined && now - this.preparedAt >= this.conn.replanMs && pq.transactionStatus() !== PQTRANS_INERROR) {
      // Its plans may be for tables of another size: prepared again (in a failed transaction, not
      // before the failure is reported by the statement).
      this.conn.exec(`DEALLOCATE ${name}`);
      name = undefined;
    }
    if (name === undefined) {
      name = this.conn.nextStatementName();
      pq.prepare(name, this.translated.text, values.length);
      this.conn.check(this.translated.text);
      this.name = name;
      this.preparedOn = this.conn.connection;
      this.preparedAt = now;
    }
    pq.execPrepared(name, values);
    this.conn.check(this.translated.text);
    return rows ? readRows(pq, this.plucked) : [];
  }
}

function readRows(pq: Libpq, plucked: boolean): unknown[] {
  const count = pq.ntuples();
  const fields = pq.nfields();
  if (count === 0 || fields === 0) return [];
  const names: string[] = [];
  const types: number[] = [];
  for (let c = 0; c < fields; c++) {
    names.push(pq.fname(c));
    types.push(pq.ftype(c));
  }
  const out = new Array<unknown>(count);
  for (let r = 0; r < count; r++) {
    if (plucked) {
      out[r] = pq.getisnull(r, 0) ? null : readValue(types[0]!, pq.getvalue(r, 0));
      continue;
    }
    const row: Record<string, unknown> = {};
    for (let c = 0; c < fields; c++) {
      row[names[c]!] = pq.getisnull(r, c) ? null : readValue(types[c]!, pq.getvalue(r, c));
    }
    out[r] = row;
  }
  return out;
}

export class PgSyncDatabase implements Database {
  readonly dialect: Dialect = 'postgres';
  pq: Libpq = newLibpq();
  /** counts connections: 1 for the first, one more at each reconnect */
  connection = 1;
  private statements = 0;
  private depth = 0;
  private isOpen = false;

  constructor(private readonly conninfo: string, readonly replanMs = REPLAN_MS, readonly now: () => number = Date.now) {
    this.connect();
    this.isOpen = true;
  }

  private connect(): void {
    this.pq.connectSync(this.conninfo);
    this.exec("SET synchronous_commit = on; SET TIME ZONE 'UTC'; SET client_min_messages = warning");
  }

  /**
   * Outside a transaction, a connection that broke (server restart, failover, a terminated
   * backend) is opened again before the next statement, and statements are prepared again on it.
   * Inside one, the failure is the transaction's: it propagates and the transaction is lost.
   */
  ensureConnected(): void {
    if (this.depth > 0 || !this.isOpen || this.pq.transactionStatus() !== PQTRANS_UNKNOWN) return;
    finish(this.pq);
    this.pq = newLibpq();
    this.connection++;
    this.connect();
  }

  get open(): boolean {
    return this.isOpen;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  nextStatementName(): string {
    return 'fk' + ++this.statements;
  }

  /** Throws the last result's error, if it failed. */
  check(sql: string): void {
    const status = this.pq.resultStatus();
    if (status !== 'PGRES_FATAL_ERROR' && status !== 'PGRES_BAD_RESPONSE' && status !== 'PGRES_NONFATAL_ERROR') return;
    const fields = this.pq.resultErrorFields() ?? {};
    const message = (this.pq.resultErrorMessage() || this.pq.errorMessage() || status).trim();
    throw new PgError(message, fields.sqlState, fields.constraintName, fields.tableName, fields.messageDetail, sql);
  }

  prepare(sql: string): Statement {
    return new PgStatement(this, sql);
  }

  exec(sql: string): void {
    this.ensureConnected();
    this.pq.exec(sql);
    this.check(sql);
  }

  transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F> {
    const run = (begin: string) => (...args: Parameters<F>): ReturnType<F> => {
      if (this.depth > 0) return this.savepoint(fn, args);
      try {
        this.exec(begin);
      } catch (err) {
        // BEGIN ran but the lock was not had (lock timeout, cancelled): close what was opened.
        this.rollbackIfOpen();
        throw err;
      }
      this.depth = 1;
      try {
        const result = fn(...args) as ReturnType<F>;
        this.depth = 0;
        this.exec('COMMIT');
        return result;
      } catch (err) {
        this.depth = 0;
        this.rollbackIfOpen();
        throw err;
      }
    };
    const writer = `BEGIN; SELECT pg_advisory_xact_lock(${WRITER_LOCK_KEY})`;
    const tx = run(writer) as Transaction<F>;
    tx.immediate = run(writer);
    tx.deferred = run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return tx;
  }

  /** Rolls back what a failed transaction left open on a live connection. */
  private rollbackIfOpen(): void {
    const status = this.pq.transactionStatus();
    if (status !== PQTRANS_IDLE && status !== PQTRANS_UNKNOWN) this.exec('ROLLBACK');
  }

  private savepoint<F extends (...args: never[]) => unknown>(fn: F, args: Parameters<F>): ReturnType<F> {
    const name = `sp${this.depth}`;
    this.exec(`SAVEPOINT ${name}`);
    this.depth++;
    try {
      const result = fn(...args) as ReturnType<F>;
      this.depth--;
      this.exec(`RELEASE ${name}`);
      return result;
    } catch (err) {
      this.depth--;
      this.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw err;
    }
  }

  close(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    finish(this.pq);
  }
}

/**
 * A synchronous connection to the database at `url` (postgres://…); the schema is not touched.
 * `replanMs`: how long a prepared statement keeps its plans (REPLAN_MS); `now`: the clock that
 * ages them (tests inject one).
 */
export function connectPostgresSync(url: string, options: { replanMs?: number; now?: () => number } = {}): PgSyncDatabase {
  return new PgSyncDatabase(url, options.replanMs, options.now);
}
