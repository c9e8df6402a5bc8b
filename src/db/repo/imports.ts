// Repository functions for CSV import jobs (src/fleet-import.ts) and for the migration hold on
// imported accounts (src/migration-hold.ts): a job's progress is written in the transaction of
// each chunk of rows it commits, so what it says was done is what the database holds.
import type { Database } from '../database.js';
import type { AccountRow } from './accounts.js';

export type ImportJobState = 'running' | 'done' | 'failed';

export interface ImportJobRow {
  id: string;
  kind: 'accounts' | 'meters';
  mode: 'create' | 'upsert';
  dryRun: number;
  state: ImportJobState;
  actor: string;
  migration: string | null;
  encoding: string | null;
  source: string;
  fingerprint: string;
  rows: number | null;
  rowDone: number;
  created: number;
  updated: number;
  unchanged: number;
  refused: number;
  /** JSON array of row errors */
  errors: string;
  message: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export type ImportProgress = Pick<ImportJobRow, 'rowDone' | 'created' | 'updated' | 'unchanged' | 'refused' | 'errors' | 'rows'>;

const JOB_COLUMNS = `id, kind, mode, dry_run AS "dryRun", state, actor, migration, encoding, source, fingerprint, rows,
  row_done AS "rowDone", created, updated, unchanged, refused, errors, message, created_at AS "createdAt",
  updated_at AS "updatedAt", finished_at AS "finishedAt"`;

export function importsRepository(db: Database) {
  const insert = db.prepare(`INSERT INTO import_jobs (id, kind, mode, dry_run, state, actor, migration, encoding, source,
    fingerprint, rows, row_done, created_at, updated_at)
    VALUES (@id, @kind, @mode, @dryRun, @state, @actor, @migration, @encoding, @source, @fingerprint, @rows, @rowDone, @createdAt, @updatedAt)`);
  const byId = db.prepare(`SELECT ${JOB_COLUMNS} FROM import_jobs WHERE id = ?`);
  const latest = db.prepare(`SELECT ${JOB_COLUMNS} FROM import_jobs ORDER BY created_at DESC, id DESC LIMIT ?`);
  const progress = db.prepare(`UPDATE import_jobs SET row_done = @rowDone, created = @created, updated = @updated,
    unchanged = @unchanged, refused = @refused, errors = @errors, rows = @rows, updated_at = @at WHERE id = @id`);
  const finish = db.prepare(`UPDATE import_jobs SET state = @state, message = @message, updated_at = @at, finished_at = @finishedAt WHERE id = @id`);
  const scanned = db.prepare(`UPDATE import_jobs SET fingerprint = @fingerprint, rows = @rows, encoding = @encoding, row_done = @rowDone,
    updated_at = @at WHERE id = @id`);
  const resumeFrom = db.prepare(`UPDATE import_jobs SET state = 'running', message = NULL, encoding = @encoding, updated_at = @at, finished_at = NULL WHERE id = @id`);
  const holdAccount = db.prepare(`UPDATE accounts SET migration = ? WHERE id = ?`);
  const heldPage = db.prepare(`SELECT id FROM accounts WHERE migration = ? AND id > ? ORDER BY id LIMIT ?`).pluck();
  const release = db.prepare(`UPDATE accounts SET migration = NULL WHERE id = ? AND migration = ?`);
  const migrations = db.prepare(`SELECT migration AS name, COUNT(*) AS accounts FROM accounts WHERE migration IS NOT NULL GROUP BY migration ORDER BY migration`);
  const openingEntry = db.prepare(`SELECT id, amount_fen AS "amountFen" FROM ledger_entries WHERE account_id = ? AND kind = 'opening-balance' ORDER BY id LIMIT 1`);

  return {
    insert(job: Omit<ImportJobRow, 'created' | 'updated' | 'unchanged' | 'refused' | 'errors' | 'message' | 'finishedAt'>): void {
      insert.run(job);
    },
    get(id: string): ImportJobRow | undefined {
      return byId.get(id) as ImportJobRow | undefined;
    },
    /** The newest jobs first. */
    latest(limit: number): ImportJobRow[] {
      return latest.all(limit) as ImportJobRow[];
    },
    /** Call in the transaction of the chunk the progress describes. */
    progress(id: string, p: ImportProgress, at: number): void {
      progress.run({ ...p, id, at });
    },
    finish(id: string, state: ImportJobState, message: string | null, at: number): void {
      finish.run({ id, state, message, at, finishedAt: state === 'running' ? null : at });
    },
    /** The first pass over a new job's file found this. */
    scanned(id: string, found: { fingerprint: string; rows: number; encoding: string; rowDone: number }, at: number): void {
      scanned.run({ ...found, id, at });
    },
    /** A failed job runs again from the row after its last committed one. */
    resume(id: string, encoding: string, at: number): void {
      resumeFrom.run({ id, encoding, at });
    },
    /** Puts an account under a migration's hold (null releases it). */
    holdAccount(accountId: string, migration: string | null): void {
      holdAccount.run(migration, accountId);
    },
    /** Keyset pagination over the accounts a migration holds. */
    heldAfter(migration: string, afterId: string, limit: number): string[] {
      return heldPage.all(migration, afterId, limit) as string[];
    },
    /** Releases one account from the migration's hold; false when it was not under it. */
    release(accountId: string, migration: string): boolean {
      return release.run(accountId, migration).changes === 1;
    },
    /** Migrations holding accounts, with how many. */
    migrations(): Array<{ name: string; accounts: number }> {
      return migrations.all() as Array<{ name: string; accounts: number }>;
    },
    /** The account's opening-balance entry, if it has one. */
    openingBalance(accountId: AccountRow['id']): { id: number; amountFen: number } | undefined {
      return openingEntry.get(accountId) as { id: number; amountFen: number } | undefined;
    },
  };
}

export type ImportsRepository = ReturnType<typeof importsRepository>;
