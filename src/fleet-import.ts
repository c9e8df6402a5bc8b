// Bulk import of accounts and meters from CSV (the HTTP API and the CLI share it). The first row
// names the columns (the same names as the API's fields); each later row is one account or meter.
// A file is read twice, piece by piece, so its size does not set the memory it takes:
//
//   pass 1: bytes ─▶ encoding (given or detected) ─▶ records ─▶ every row decodes cleanly?
//           header known? rows within the limit? ids (and meter addresses) seen twice? SHA-256
//           (nothing is written before the whole file has passed)
//   pass 2: records ─▶ chunks of import.chunkRows rows, one transaction each: per row convert
//           cells ─▶ schema check ─▶ duplicate? ─▶ create or upsert (savepoint) ─▶ the job's
//           progress, in the same transaction ─▶ commit ─▶ (yield to the event loop)
//
// A bad row is reported with its row number and field while the good rows are kept. A job that
// stops part-way (the process killed, the database gone) is resumed from the row after its last
// committed chunk, given the same file (the fingerprint must match). A dry run rolls each chunk
// back. Upsert mode creates, updates the fields a row gives, or changes nothing (src/fleet-upsert.ts).
import { randomUUID } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import type { TObject } from '@sinclair/typebox';
import type { Repositories } from './db/repo/index.js';
import type { ImportJobRow } from './db/repo/imports.js';
import type { Config } from './config/schema.js';
import { AppError, isAppError } from './errors.js';
import { AccountInputSchema, MeterInputSchema, type AccountInput, type MeterInput } from './fleet.js';
import { upsertAccount, upsertMeter, type UpsertOutcome } from './fleet-upsert.js';
import { createAccount, createMeter } from './fleet.js';
import { CsvReader, type CsvSource } from './import/csv-source.js';
import type { CsvRecord } from './import/csv-records.js';
import type { Encoding } from './import/encoding.js';
import { DuplicateFinder } from './import/duplicates.js';
import { checkMigrationName } from './migration-hold.js';

export { parseCsv } from './import/csv-records.js';
import { BOOLEAN_WORDS, fieldWords } from './field-words.js';

export type ImportKind = 'accounts' | 'meters';
export type ImportMode = 'create' | 'upsert';

export interface RowError {
  /** spreadsheet row number: the header is row 1 */
  row: number;
  id: string | null;
  field: string | null;
  code: string;
  message: string;
}

export interface ImportResult {
  jobId: string;
  kind: ImportKind;
  mode: ImportMode;
  dryRun: boolean;
  state: 'running' | 'done' | 'failed';
  encoding: Encoding | null;
  migration: string | null;
  /** data rows in the file (blank rows not counted); null until the file has been read through */
  rows: number | null;
  /** the last spreadsheet row committed */
  rowDone: number;
  created: number;
  updated: number;
  unchanged: number;
  refused: number;
  /** the first import.maxErrors row errors */
  errors: RowError[];
  /** row errors beyond those listed */
  errorsOmitted: number;
  /** why a failed job stopped */
  message: string | null;
  /** only when asked for (`ids`): the ids created and updated by this run */
  createdIds?: string[];
  updatedIds?: string[];
}

export interface ImportOptions {
  mode?: ImportMode;
  dryRun?: boolean;
  /** the file's encoding; detected when absent */
  encoding?: Encoding;
  /** accounts: hold the accounts this import creates under this migration until released */
  migration?: string;
  /** list the ids created and updated in the result */
  ids?: boolean;
  /** a failed job to resume (same kind, same file) */
  resume?: string;
  /** the id of a new job (default: a random UUID) */
  jobId?: string;
  /** told after each committed chunk */
  onProgress?: (job: ImportResult) => void;
  /** told after each committed chunk of the accounts whose balance or levels it changed */
  onAccountsChanged?: (accountIds: string[]) => void;
}

/** The header check and the schema of the kind. */
function schemaOf(kind: ImportKind): TObject {
  return kind === 'accounts' ? AccountInputSchema : MeterInputSchema;
}

function checkHeader(kind: ImportKind, header: string[]): void {
  const schema = schemaOf(kind);
  const known = Object.keys(schema.properties);
  for (const [i, name] of header.entries()) {
    if (!known.includes(name)) throw new AppError('VALIDATION', `CSV column "${name}" is not a field of ${kind} (fields: ${known.join(', ')})`, { field: name });
    if (header.indexOf(name) !== i) throw new AppError('VALIDATION', `CSV column "${name}" appears twice`, { field: name });
  }
  const missing = (schema.required ?? []).filter((r) => !header.includes(r));
  if (missing.length > 0) throw new AppError('VALIDATION', `CSV lacks the required column(s) ${missing.join(', ')}`, { field: missing[0] });
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

const blank = (r: CsvRecord) => r.cells.every((cell) => cell.trim() === '');

/** What pass 1 learns of a file. */
interface Scan {
  header: string[];
  headerRow: number;
  rows: number;
  encoding: Encoding;
  detected: boolean;
  fingerprint: string;
  duplicates: DuplicateFinder;
}

/**
 * A job still "running" that has committed nothing for this long was left by a process that
 * stopped (killed, or its database gone): it may be resumed.
 */
const STALE_RUNNING_MS = 60_000;

/** Records of pass 1 between turns given to the event loop. */
const SCAN_RECORDS_PER_TURN = 20_000;

function* scan(source: CsvSource, kind: ImportKind, config: Config, encoding: Encoding | undefined): Generator<void, Scan> {
  const reader = new CsvReader(source, encoding);
  let header: string[] | null = null;
  let headerRow = 0;
  let rows = 0;
  const duplicates = new DuplicateFinder(kind);
  for (const record of reader.records()) {
    if (blank(record)) continue;
    if (header === null) {
      header = record.cells.map((h) => h.trim());
      headerRow = record.row;
      checkHeader(kind, header);
      duplicates.setHeader(header);
      continue;
    }
    rows++;
    duplicates.see(record);
    if (rows % SCAN_RECORDS_PER_TURN === 0) yield;
  }
  if (header === null) throw new AppError('VALIDATION', 'CSV is empty: the first row must name the columns', { field: 'body' });
  if (rows > config.import.maxRows) {
    throw new AppError('VALIDATION', `CSV has ${rows} rows; at most ${config.import.maxRows} per import (import.maxRows): split the file into parts of up to ${config.import.maxRows} rows, each starting with the header row, and import them one after another`, {
      field: 'body', limit: config.import.maxRows,
    });
  }
  return { header, headerRow, rows, encoding: reader.encoding!, detected: reader.detected, fingerprint: reader.fingerprint, duplicates };
}

function view(job: ImportJobRow, errors: RowError[], refusedAll: number, ids: { created: string[]; updated: string[] } | null): ImportResult {
  return {
    jobId: job.id, kind: job.kind, mode: job.mode, dryRun: job.dryRun === 1, state: job.state, encoding: job.encoding as Encoding | null,
    migration: job.migration, rows: job.rows, rowDone: job.rowDone, created: job.created, updated: job.updated, unchanged: job.unchanged,
    refused: refusedAll, errors, errorsOmitted: refusedAll - errors.length, message: job.message,
    ...(ids ? { createdIds: ids.created, updatedIds: ids.updated } : {}),
  };
}

/** A job's state as the API shows it. */
export function jobView(job: ImportJobRow): ImportResult {
  return view(job, JSON.parse(job.errors) as RowError[], job.refused, null);
}

/**
 * Imports a CSV file as one job: the steps yield after each committed chunk (a driver awaits the
 * event loop there, or not). Returns the finished job.
 */
function* importSteps(repos: Repositories, config: Config, kind: ImportKind, source: CsvSource, actor: string, now: () => number,
  options: ImportOptions): Generator<void, ImportResult> {
  const mode = options.mode ?? 'create';
  const dryRun = options.dryRun === true;
  if (options.migration !== undefined) {
    checkMigrationName(options.migration);
    if (kind !== 'accounts') throw new AppError('VALIDATION', 'migration: a migration holds accounts; give it when importing accounts', { field: 'migration' });
  }
  let job = options.resume !== undefined ? repos.imports.get(options.resume) : undefined;
  if (options.resume !== undefined) {
    if (!job) throw new AppError('NOT_FOUND', `import job ${options.resume} does not exist`, { field: 'resume' });
    if (job.state === 'done') throw new AppError('CONFLICT', `import job ${job.id} is done already (${job.created} created, ${job.updated} updated, ${job.unchanged} unchanged, ${job.refused} refused)`, { field: 'resume' });
    const quietMs = now() - job.updatedAt;
    if (job.state === 'running' && quietMs < STALE_RUNNING_MS) {
      throw new AppError('CONFLICT', `import job ${job.id} is running (its last chunk committed ${Math.round(quietMs / 1000)} s ago); a job is resumed once it has stopped`, { field: 'resume' });
    }
    if (job.kind !== kind) throw new AppError('VALIDATION', `import job ${job.id} imports ${job.kind}, not ${kind}`, { field: 'resume' });
  }
  const resumed = job;
  if (!job) {
    // The job exists from the start, so its state can be asked for while the file is read.
    const id = options.jobId ?? randomUUID();
    const at = now();
    repos.transaction(() => repos.imports.insert({
      id, kind, mode, dryRun: dryRun ? 1 : 0, state: 'running', actor, migration: options.migration ?? null, encoding: options.encoding ?? null,
      source: source.label, fingerprint: '', rows: null, rowDone: 1, createdAt: at, updatedAt: at,
    }));
    job = repos.imports.get(id)!;
  }
  let found: Scan;
  try {
    found = yield* scan(source, kind, config, options.encoding ?? (job.encoding as Encoding | null) ?? undefined);
    if (resumed && resumed.fingerprint !== found.fingerprint) {
      throw new AppError('VALIDATION', `import job ${resumed.id} was started with another file (its SHA-256 differs): resume it with the same file`, { field: 'resume' });
    }
  } catch (err) {
    // Nothing was imported: a new job fails with the reason; a resumed one stays as it was.
    if (!resumed) repos.transaction(() => repos.imports.finish(job!.id, 'failed', (err as Error).message, now()));
    throw err;
  }
  const started = now();
  if (resumed) repos.transaction(() => repos.imports.resume(resumed.id, found.encoding, started));
  else repos.transaction(() => repos.imports.scanned(job!.id, { fingerprint: found.fingerprint, rows: found.rows, encoding: found.encoding, rowDone: found.headerRow }, started));
  job = repos.imports.get(job.id)!;
  const jobId = job.id;
  const jobMode = job.mode;
  const migration = job.migration;
  const openingActor = `migration:${migration ?? `import-${jobId}`}`;
  const errors = JSON.parse(job.errors) as RowError[];
  const counts = { created: job.created, updated: job.updated, unchanged: job.unchanged, refused: job.refused };
  let rowDone = job.rowDone;
  const ids = options.ids ? { created: [] as string[], updated: [] as string[] } : null;
  const schema = schemaOf(kind);
  const header = found.header;
  const idColumn = header.indexOf('id');
  const changedAccounts: string[] = [];

  const applyRow = (record: CsvRecord, duplicate: { field: string; message: string } | null, at: number): void => {
    const cells = record.cells;
    const row = record.row;
    const idCell = cells[idColumn]?.trim() || null;
    const fail = (code: string, field: string | null, message: string) => {
      counts.refused++;
      if (errors.length < config.import.maxErrors) errors.push({ row, id: idCell, field, code, message });
    };
    if (cells.length !== header.length) return fail('VALIDATION', null, `row has ${cells.length} cells; the header has ${header.length}`);
    const { value, error } = convertRow(schema, header, cells);
    if (error) return fail('VALIDATION', error.field, error.message);
    const first = Value.Errors(schema, value).First();
    if (first) {
      // The row's field at fault (the first step of the error's path), described in words.
      const field = first.path.split('/')[1] || (first.schema as { required?: string[] }).required?.find((f) => value[f] === undefined) || null;
      return fail('VALIDATION', field, field !== null && schema.properties[field] ? refusal(schema, field, value[field]) : `row: ${first.message}`);
    }
    if (duplicate) return fail('CONFLICT', duplicate.field, duplicate.message);
    try {
      let outcome: UpsertOutcome;
      if (kind === 'accounts') {
        const input = value as AccountInput;
        const create = { migration, openingActor };
        if (jobMode === 'upsert') outcome = upsertAccount(repos, config, input, actor, at, create);
        else {
          createAccount(repos, config, input, actor, at, create);
          outcome = 'created';
        }
        if (outcome !== 'unchanged') changedAccounts.push(input.id);
      } else {
        const input = value as MeterInput;
        if (jobMode === 'upsert') outcome = upsertMeter(repos, config, input, actor, at);
        else {
          createMeter(repos, config, input, actor, at);
          outcome = 'created';
        }
      }
      counts[outcome]++;
      if (ids && outcome !== 'unchanged') ids[outcome].push(value.id as string);
    } catch (err) {
      if (!isAppError(err)) throw err;
      fail(err.code, typeof err.context.field === 'string' ? err.context.field : null, err.message);
    }
  };

  const rollback = new Error('dry run');
  const commit = (chunk: Array<{ record: CsvRecord; duplicate: { field: string; message: string } | null }>) => {
    const last = chunk[chunk.length - 1]!.record.row;
    const at = now();
    const progress = () => repos.imports.progress(jobId, { ...counts, rowDone: last, rows: found.rows, errors: JSON.stringify(errors) }, now());
    try {
      repos.transaction(() => {
        for (const { record, duplicate } of chunk) applyRow(record, duplicate, at);
        if (dryRun) throw rollback;
        progress();
      });
    } catch (err) {
      if (err !== rollback) throw err;
      repos.transaction(progress);
    }
    rowDone = last;
    if (changedAccounts.length > 0 && !dryRun) options.onAccountsChanged?.(changedAccounts.splice(0));
    changedAccounts.length = 0;
  };

  const current = (): ImportResult => view(repos.imports.get(jobId)!, errors, counts.refused, ids);
  try {
    const reader = new CsvReader(source, found.encoding);
    let chunk: Array<{ record: CsvRecord; duplicate: { field: string; message: string } | null }> = [];
    let skipped = 0;
    for (const record of reader.records()) {
      if (record.row <= found.headerRow || blank(record)) continue;
      // Every row is looked at for duplicates, also the rows a resumed job skips.
      const duplicate = found.duplicates.check(record);
      if (record.row <= rowDone) {
        if (++skipped % SCAN_RECORDS_PER_TURN === 0) yield;
        continue;
      }
      chunk.push({ record, duplicate });
      if (chunk.length >= config.import.chunkRows) {
        commit(chunk);
        chunk = [];
        options.onProgress?.(current());
        yield;
      }
    }
    if (chunk.length > 0) {
      commit(chunk);
      options.onProgress?.(current());
    }
    repos.transaction(() => {
      repos.imports.finish(jobId, 'done', null, now());
      if (!dryRun) {
        repos.journal.audit(actor, `import-${kind}`, kind, {
          jobId, mode: jobMode, rows: found.rows, created: counts.created, updated: counts.updated, unchanged: counts.unchanged, errors: counts.refused,
          ...(migration ? { migration } : {}),
        }, now());
      }
    });
  } catch (err) {
    const message = `import job ${jobId} stopped after row ${rowDone}: ${(err as Error).message}; resume it with the same file and resume=${jobId}`;
    try {
      repos.transaction(() => repos.imports.finish(jobId, 'failed', message, now()));
    } catch {
      // the database itself failed: the job stays "running"; a resume takes it once it is stale
    }
    if (isAppError(err)) throw new AppError(err.code, `${err.message} (${message})`, { ...err.context, jobId, rowDone });
    throw new AppError('INTERNAL', message, { jobId, rowDone });
  }
  return current();
}

/** Runs an import to the end at once (the CLI: nothing else shares its event loop). */
export function importSync(repos: Repositories, config: Config, kind: ImportKind, source: CsvSource, actor: string, now: () => number, options: ImportOptions = {}): ImportResult {
  const steps = importSteps(repos, config, kind, source, actor, now, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Runs an import, giving the event loop a turn after every chunk (the daemon). */
export async function importAsync(repos: Repositories, config: Config, kind: ImportKind, source: CsvSource, actor: string, now: () => number, options: ImportOptions = {}): Promise<ImportResult> {
  const steps = importSteps(repos, config, kind, source, actor, now, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
