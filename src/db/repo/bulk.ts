// Repository functions for operator bulk operations (bulk disconnect / reconnect): the operation
// itself and the meters it skipped with why; per-meter results live on its commands (bulk_id).
import type { Database } from '../database.js';

export type BulkState = 'running' | 'finished' | 'cancelled';

export interface BulkSkip {
  meterId: string;
  skipped: string;
}

export interface BulkRow {
  id: string;
  action: 'disconnect' | 'reconnect';
  actor: string;
  reason: string;
  state: BulkState;
  total: number;
  skipped: BulkSkip[];
  createdAt: number;
  finishedAt: number | null;
}

const BULK_COLUMNS = `id, action, actor, reason, state, total, skipped, created_at AS "createdAt", finished_at AS "finishedAt"`;

type Raw = Omit<BulkRow, 'skipped'> & { skipped: string };
const parse = (r: Raw | undefined): BulkRow | undefined => (r ? { ...r, skipped: JSON.parse(r.skipped) as BulkSkip[] } : undefined);

export function bulkRepository(db: Database) {
  const insert = db.prepare(`INSERT INTO bulk_operations (id, action, actor, reason, state, total, skipped, created_at)
    VALUES (@id, @action, @actor, @reason, @state, @total, @skipped, @createdAt)`);
  const byId = db.prepare(`SELECT ${BULK_COLUMNS} FROM bulk_operations WHERE id = ?`);
  const running = db.prepare(`SELECT id FROM bulk_operations WHERE state = 'running'`).pluck();
  const setState = db.prepare(`UPDATE bulk_operations SET state = @state, finished_at = @at WHERE id = @id AND state = 'running'`);

  return {
    insert(op: Omit<BulkRow, 'finishedAt'>): void {
      insert.run({ ...op, skipped: JSON.stringify(op.skipped) });
    },
    get(id: string): BulkRow | undefined {
      return parse(byId.get(id) as Raw | undefined);
    },
    runningIds(): string[] {
      return running.all() as string[];
    },
    /** Ends a running operation; false when it had already ended. */
    end(id: string, state: Exclude<BulkState, 'running'>, at: number): boolean {
      return setState.run({ id, state, at }).changes === 1;
    },
  };
}

export type BulkRepository = ReturnType<typeof bulkRepository>;
