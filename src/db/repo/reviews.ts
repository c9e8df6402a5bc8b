// Repository functions for review items: things a person must look at (a protected customer at the
// cut-off level, a flapping relay, a relay fault, a meter refusing under its own keep-power).
import type { Database } from '../database.js';
import { insertReturningId } from '../dialect.js';

import type { ReviewKind } from '../../domain/codes.js';

/** What a review item is about: a stable code, each described in src/domain/codes.ts. */
export { REVIEW_KINDS, type ReviewKind } from '../../domain/codes.js';

export interface ReviewRow {
  id: number;
  kind: ReviewKind;
  accountId: string | null;
  meterId: string | null;
  reason: string;
  createdAt: number;
  resolvedAt: number | null;
  resolvedBy: string | null;
  resolution: string | null;
}

export interface ReviewFilter {
  open?: boolean;
  kind?: ReviewKind;
  accountId?: string;
  meterId?: string;
  /** cursor: items with a larger id */
  after?: number;
  limit: number;
}

const REVIEW_COLUMNS = `id, kind, account_id AS "accountId", meter_id AS "meterId", reason, created_at AS "createdAt",
  resolved_at AS "resolvedAt", resolved_by AS "resolvedBy", resolution`;

export function reviewsRepository(db: Database) {
  const insert = insertReturningId(db, `INSERT INTO review_items (kind, account_id, meter_id, reason, created_at)
    VALUES (@kind, @accountId, @meterId, @reason, @createdAt)`);
  const byId = db.prepare(`SELECT ${REVIEW_COLUMNS} FROM review_items WHERE id = ?`);
  const openFor = db.prepare(`SELECT ${REVIEW_COLUMNS} FROM review_items WHERE resolved_at IS NULL AND kind = @kind
    AND (CAST(@meterId AS text) IS NULL OR meter_id = @meterId) AND (CAST(@accountId AS text) IS NULL OR account_id = @accountId) ORDER BY id LIMIT 1`);
  const openForMeter = db.prepare(`SELECT ${REVIEW_COLUMNS} FROM review_items WHERE resolved_at IS NULL AND meter_id = ? ORDER BY id`);
  const list = db.prepare(`SELECT ${REVIEW_COLUMNS} FROM review_items
    WHERE id > @after AND (CAST(@open AS bigint) IS NULL OR (@open = 1 AND resolved_at IS NULL) OR (@open = 0 AND resolved_at IS NOT NULL))
      AND (CAST(@kind AS text) IS NULL OR kind = @kind) AND (CAST(@accountId AS text) IS NULL OR account_id = @accountId) AND (CAST(@meterId AS text) IS NULL OR meter_id = @meterId)
    ORDER BY id LIMIT @limit`);
  const resolve = db.prepare(`UPDATE review_items SET resolved_at = @at, resolved_by = @by, resolution = @resolution
    WHERE id = @id AND resolved_at IS NULL`);

  return {
    insert(item: Pick<ReviewRow, 'kind' | 'accountId' | 'meterId' | 'reason' | 'createdAt'>): number {
      return insert(item);
    },
    get(id: number): ReviewRow | undefined {
      return byId.get(id) as ReviewRow | undefined;
    },
    /** The oldest open item of a kind for a meter and/or account, if any. */
    openFor(kind: ReviewKind, target: { meterId?: string; accountId?: string }): ReviewRow | undefined {
      return openFor.get({ kind, meterId: target.meterId ?? null, accountId: target.accountId ?? null }) as ReviewRow | undefined;
    },
    openForMeter(meterId: string): ReviewRow[] {
      return openForMeter.all(meterId) as ReviewRow[];
    },
    list(filter: ReviewFilter): ReviewRow[] {
      return list.all({
        after: filter.after ?? 0, open: filter.open === undefined ? null : filter.open ? 1 : 0, kind: filter.kind ?? null,
        accountId: filter.accountId ?? null, meterId: filter.meterId ?? null, limit: filter.limit,
      }) as ReviewRow[];
    },
    resolve(id: number, by: string, resolution: string, at: number): boolean {
      return resolve.run({ id, by, resolution, at }).changes === 1;
    },
  };
}

export type ReviewsRepository = ReturnType<typeof reviewsRepository>;
