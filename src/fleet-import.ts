// Bulk import of accounts and meters from CSV (the HTTP API and the CLI share it). The first row
// names the columns (the same names as the API's fields); each later row is one account or meter.
// Rows are checked and created one by one, each in its own savepoint inside one transaction, so a
// bad row is reported with its row number and field while the good rows are kept; a dry run
// rolls everything back and reports what would happen.
//
//   text ─> parseCsv ─> header check ─> per row: convert cells ─> schema check ─> create (savepoint)
import { Value } from '@sinclair/typebox/value';
import type { TObject } from '@sinclair/typebox';
import type { Repositories } from './db/repo/index.js';
import type { Config } from './config/schema.js';
import { AppError, isAppError } from './errors.js';
import { AccountInputSchema, MeterInputSchema, createAccount, createMeter, type AccountInput, type MeterInput } from './fleet.js';
import { BOOLEAN_WORDS, fieldWords } from './field-words.js';

export type ImportKind = 'accounts' | 'meters';

export interface RowError {
  /** spreadsheet row number: the header is row 1 */
  row: number;
  id: string | null;
  field: string | null;
  code: string;
  message: string;
}

export interface ImportResult {
  kind: ImportKind;
  dryRun: boolean;
  rows: number;
  created: number;
  createdIds: string[];
  errors: RowError[];
}

/** The largest number of data rows one import takes (resource limit). */
export const MAX_IMPORT_ROWS = 20_000;

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks; a BOM is dropped. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') { record.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new AppError('VALIDATION', `CSV row ${records.length + 1}: a quoted field is not closed`, { row: records.length + 1 });
  if (field !== '' || record.length > 0) { record.push(field); records.push(record); }
  return records;
}

const TRUE = new Set(['true', '1', 'yes', 'y', '是']);
const FALSE = new Set(['false', '0', 'no', 'n', '否']);

/** The message for a cell the schema refuses: the field, what it takes in words, and what it got. */
function refusal(schema: TObject, field: string, value: unknown): string {
  const words = fieldWords(schema.properties[field]!);
  if (value === undefined) return `${field} is required: ${words}`;
  return `${field}: expected ${words}; got ${typeof value === 'string' ? `"${value}"` : JSON.stringify(value)}`;
}

/** Turns one CSV row into an input object, typed by the schema; empty cells are left out. */
function convertRow(schema: TObject, header: string[], cells: string[]): { value: Record<string, unknown>; error?: { field: string; message: string } } {
  const value: Record<string, unknown> = {};
  for (let c = 0; c < header.length; c++) {
    const name = header[c]!;
    const cell = (cells[c] ?? '').trim();
    if (cell === '') continue;
    const property = schema.properties[name] as { type?: string; anyOf?: Array<{ const?: unknown }> };
    // A union of number literals (e.g. a password level 0, 2 or 4) is a whole number too.
    const type = property.anyOf?.every((c) => typeof c.const === 'number') ? 'integer' : property.type;
    if (type === 'integer') {
      if (!/^-?\d{1,16}$/.test(cell)) return { value, error: { field: name, message: `${name}: expected ${fieldWords(schema.properties[name]!)}; got "${cell}"` } };
      value[name] = Number(cell);
    } else if (type === 'boolean') {
      const lower = cell.toLowerCase();
      if (!TRUE.has(lower) && !FALSE.has(lower)) return { value, error: { field: name, message: `${name}: expected ${BOOLEAN_WORDS}; got "${cell}"` } };
      value[name] = TRUE.has(lower);
    } else if (type === 'object') {
      // A nested field (levelOverrides) is written as JSON in its cell.
      try {
        value[name] = JSON.parse(cell) as unknown;
      } catch {
        return { value, error: { field: name, message: `${name}: expected ${fieldWords(schema.properties[name]!)}, written as JSON, e.g. {"alarmLevel1":{"days":5}}; got "${cell}"` } };
      }
    } else value[name] = cell;
  }
  return { value };
}

export function importCsv(repos: Repositories, config: Config, kind: ImportKind, text: string, actor: string, now: number,
  options: { dryRun?: boolean } = {}): ImportResult {
  const schema: TObject = kind === 'accounts' ? AccountInputSchema : MeterInputSchema;
  const records = parseCsv(text).filter((r) => r.some((cell) => cell.trim() !== ''));
  if (records.length === 0) throw new AppError('VALIDATION', 'CSV is empty: the first row must name the columns', { field: 'body' });
  const header = records[0]!.map((h) => h.trim());
  const known = Object.keys(schema.properties);
  for (const [i, name] of header.entries()) {
    if (!known.includes(name)) throw new AppError('VALIDATION', `CSV column "${name}" is not a field of ${kind} (fields: ${known.join(', ')})`, { field: name });
    if (header.indexOf(name) !== i) throw new AppError('VALIDATION', `CSV column "${name}" appears twice`, { field: name });
  }
  const missing = (schema.required ?? []).filter((r) => !header.includes(r));
  if (missing.length > 0) throw new AppError('VALIDATION', `CSV lacks the required column(s) ${missing.join(', ')}`, { field: missing[0] });
  if (records.length - 1 > MAX_IMPORT_ROWS) {
    throw new AppError('VALIDATION', `CSV has ${records.length - 1} rows; at most ${MAX_IMPORT_ROWS} per import`, { field: 'body', limit: MAX_IMPORT_ROWS });
  }

  const result: ImportResult = { kind, dryRun: options.dryRun === true, rows: records.length - 1, created: 0, createdIds: [], errors: [] };
  const rollback = new Error('dry run');
  try {
    repos.transaction(() => {
      for (let r = 1; r < records.length; r++) {
        const cells = records[r]!;
        const row = r + 1;
        const idCell = cells[header.indexOf('id')]?.trim() || null;
        const fail = (code: string, field: string | null, message: string) => result.errors.push({ row, id: idCell, field, code, message });
        if (cells.length !== header.length) {
          fail('VALIDATION', null, `row has ${cells.length} cells; the header has ${header.length}`);
          continue;
        }
        const { value, error } = convertRow(schema, header, cells);
        if (error) {
          fail('VALIDATION', error.field, error.message);
          continue;
        }
        const first = Value.Errors(schema, value).First();
        if (first) {
          // The row's field at fault (the first step of the error's path), described in words.
          const field = first.path.split('/')[1] || (first.schema as { required?: string[] }).required?.find((f) => value[f] === undefined) || null;
          fail('VALIDATION', field, field !== null && schema.properties[field] ? refusal(schema, field, value[field]) : `row: ${first.message}`);
          continue;
        }
        try {
          if (kind === 'accounts') createAccount(repos, config, value as AccountInput, actor, now);
          else createMeter(repos, config, value as MeterInput, actor, now);
          result.created++;
          result.createdIds.push(value.id as string);
        } catch (err) {
          if (!isAppError(err)) throw err;
          fail(err.code, typeof err.context.field === 'string' ? err.context.field : null, err.message);
        }
      }
      if (result.dryRun) throw rollback;
      repos.journal.audit(actor, `import-${kind}`, kind, { rows: result.rows, created: result.created, errors: result.errors.length }, now);
    });
  } catch (err) {
    if (err !== rollback) throw err;
  }
  return result;
}
