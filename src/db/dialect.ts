// The few places where SQLite and PostgreSQL spell one thing differently, as SQL fragments a
// repository puts into its statements (everything else is written once, in SQL both run).
import type { Database } from './database.js';

/** A table of the text values of a JSON array parameter, in one column named `value`. */
export function jsonValues(db: Database, param: string): string {
  return db.dialect === 'postgres' ? `json_array_elements_text(CAST(${param} AS json))` : `json_each(${param})`;
}

/**
 * The column numbering a table's rows in the order they were inserted, for walking a table in
 * bounded ranges: SQLite's rowid; on PostgreSQL an identity column `seq` (migrations-pg/0003).
 */
export function rowNumber(db: Database): string {
  return db.dialect === 'postgres' ? 'seq' : 'rowid';
}
