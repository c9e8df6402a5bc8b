// The few places where SQLite and PostgreSQL spell one thing differently, as SQL fragments a
// repository puts into its statements (everything else is written once, in SQL both run).
import type { Database } from './database.js';

/** A table of the text values of a JSON array parameter, in one column named `value`. */
export function jsonValues(db: Database, param: string): string {
  return db.dialect === 'postgres' ? `json_array_elements_text(CAST(${param} AS json))` : `json_each(${param})`;
}

/**
 * A table of a JSON array-of-arrays parameter, one row per inner array, column i from its element
 * i: one statement writes a whole batch of rows.
 */
export function jsonRows(db: Database, param: string, columns: Array<[name: string, type: 'text' | 'bigint']>): string {
  if (db.dialect === 'postgres') {
    const cols = columns.map(([name, type], i) => `CAST(value->>${i} AS ${type}) AS ${name}`).join(', ');
    return `(SELECT ${cols} FROM json_array_elements(CAST(${param} AS json)) AS rows(value))`;
  }
  const cols = columns.map(([name], i) => `json_extract(value, '$[${i}]') AS ${name}`).join(', ');
  return `(SELECT ${cols} FROM json_each(${param}))`;
}

/**
 * The column numbering a table's rows in the order they were inserted, for walking a table in
 * bounded ranges: SQLite's rowid; on PostgreSQL an identity column `seq` (migrations-pg/0003).
 */
export function rowNumber(db: Database): string {
  return db.dialect === 'postgres' ? 'seq' : 'rowid';
}

/**
 * An INSERT that answers with the new row's id: on SQLite the statement as given and
 * last_insert_rowid (RETURNING costs about 1 µs more an insert there, and ledger entries are
 * inserted once per reading); on PostgreSQL the statement with RETURNING id.
 */
export function insertReturningId(db: Database, sql: string): (...params: unknown[]) => number {
  if (db.dialect === 'postgres') {
    const returning = db.prepare(`${sql} RETURNING id`).pluck();
    return (...params) => returning.get(...params) as number;
  }
  const insert = db.prepare(sql);
  return (...params) => Number(insert.run(...params).lastInsertRowid);
}
