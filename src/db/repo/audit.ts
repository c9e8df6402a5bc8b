// Reading the audit trail: who did what to which target and when, newest first, paged by id.
// Entries are written by `journal.audit` in the same transaction as the change they record.
import type { Database } from '../database.js';

export interface AuditRow {
  id: number;
  actor: string;
  action: string;
  target: string;
  detail: string;
  at: number;
}

export interface AuditFilter {
  actor?: string;
  target?: string;
  /** only entries at or after this time (ms) */
  since?: number;
  /** cursor: entries with a smaller id */
  before?: number;
  limit: number;
}

export function auditRepository(db: Database) {
  const page = db.prepare(`SELECT id, actor, action, target, detail, at FROM audit
    WHERE (CAST(@actor AS text) IS NULL OR actor = @actor) AND (CAST(@target AS text) IS NULL OR target = @target)
      AND (CAST(@since AS bigint) IS NULL OR at >= @since) AND (CAST(@before AS bigint) IS NULL OR id < @before)
    ORDER BY id DESC LIMIT @limit`);
  return {
    page(filter: AuditFilter): AuditRow[] {
      return page.all({
        actor: filter.actor ?? null, target: filter.target ?? null, since: filter.since ?? null,
        before: filter.before ?? null, limit: filter.limit,
      }) as AuditRow[];
    },
  };
}

export type AuditRepository = ReturnType<typeof auditRepository>;
