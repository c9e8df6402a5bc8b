// Repository functions for holds: keep-power (保电) and manual-off, on a meter or a whole account,
// each with actor, reason and an optional expiry. A hold is in force while it is not released
// and not past its expiry.
import type { Database } from '../database.js';
import type { HoldKind } from '../../domain/codes.js';

/** keep-power or manual-off, each described in src/domain/codes.ts. */
export type { HoldKind } from '../../domain/codes.js';
export type HoldScope = 'meter' | 'account';

export interface HoldRow {
  id: string;
  kind: HoldKind;
  scope: HoldScope;
  targetId: string;
  actor: string;
  reason: string;
  createdAt: number;
  expiresAt: number | null;
  releasedAt: number | null;
  releasedBy: string | null;
}

export interface HoldFilter {
  /** only holds in force at this time */
  activeAt?: number;
  kind?: HoldKind;
  scope?: HoldScope;
  targetId?: string;
  /** holds created before this id's creation (cursor, newest first) */
  limit: number;
  before?: { createdAt: number; id: string };
}

const HOLD_COLUMNS = `id, kind, scope, target_id AS "targetId", actor, reason, created_at AS "createdAt", expires_at AS "expiresAt",
  released_at AS "releasedAt", released_by AS "releasedBy"`;
const IN_FORCE = `released_at IS NULL AND (expires_at IS NULL OR expires_at > @at)`;

export function holdsRepository(db: Database) {
  const insert = db.prepare(`INSERT INTO holds (id, kind, scope, target_id, actor, reason, created_at, expires_at)
    VALUES (@id, @kind, @scope, @targetId, @actor, @reason, @createdAt, @expiresAt)`);
  const byId = db.prepare(`SELECT ${HOLD_COLUMNS} FROM holds WHERE id = ?`);
  const inForce = db.prepare(`SELECT ${HOLD_COLUMNS} FROM holds WHERE ${IN_FORCE} ORDER BY created_at, id`);
  const inForceFor = db.prepare(`SELECT ${HOLD_COLUMNS} FROM holds WHERE ${IN_FORCE}
    AND ((scope = 'meter' AND target_id = @meterId) OR (scope = 'account' AND target_id = @accountId)) ORDER BY created_at, id`);
  const inForceForAccount = db.prepare(`SELECT ${HOLD_COLUMNS} FROM holds WHERE ${IN_FORCE}
    AND ((scope = 'account' AND target_id = @accountId)
      OR (scope = 'meter' AND target_id IN (SELECT id FROM meters WHERE account_id = @accountId))) ORDER BY created_at, id`);
  const list = db.prepare(`SELECT ${HOLD_COLUMNS} FROM holds
    WHERE (CAST(@activeAt AS bigint) IS NULL OR (released_at IS NULL AND (expires_at IS NULL OR expires_at > @activeAt)))
      AND (CAST(@kind AS text) IS NULL OR kind = @kind) AND (CAST(@scope AS text) IS NULL OR scope = @scope) AND (CAST(@targetId AS text) IS NULL OR target_id = @targetId)
      AND (CAST(@beforeAt AS bigint) IS NULL OR created_at < @beforeAt OR (created_at = @beforeAt AND id < @beforeId))
    ORDER BY created_at DESC, id DESC LIMIT @limit`);
  const release = db.prepare(`UPDATE holds SET released_at = @at, released_by = @by WHERE id = @id AND released_at IS NULL`);
  const releasedSince = db.prepare(`SELECT ${HOLD_COLUMNS} FROM holds WHERE kind = 'keep-power'
    AND ((released_at IS NOT NULL AND released_at >= @since) OR (expires_at IS NOT NULL AND expires_at >= @since AND expires_at <= @at))`);
  const lapsed = db.prepare(`SELECT ${HOLD_COLUMNS} FROM holds WHERE released_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?
    ORDER BY expires_at LIMIT 1000`);

  return {
    insert(hold: Omit<HoldRow, 'releasedAt' | 'releasedBy'>): void {
      insert.run(hold);
    },
    get(id: string): HoldRow | undefined {
      return byId.get(id) as HoldRow | undefined;
    },
    /** Every hold in force at `at` (a few hundred at most in practice; the sweep keeps them in memory). */
    inForce(at: number): HoldRow[] {
      return inForce.all({ at }) as HoldRow[];
    },
    /** Holds in force at `at` that cover one meter (its own and its account's). */
    inForceFor(meterId: string, accountId: string, at: number): HoldRow[] {
      return inForceFor.all({ at, meterId, accountId }) as HoldRow[];
    },
    /** Holds in force at `at` on an account or any of its meters. */
    inForceForAccount(accountId: string, at: number): HoldRow[] {
      return inForceForAccount.all({ at, accountId }) as HoldRow[];
    },
    list(filter: HoldFilter): HoldRow[] {
      return list.all({
        activeAt: filter.activeAt ?? null, kind: filter.kind ?? null, scope: filter.scope ?? null, targetId: filter.targetId ?? null,
        beforeAt: filter.before?.createdAt ?? null, beforeId: filter.before?.id ?? null, limit: filter.limit,
      }) as HoldRow[];
    },
    /** Releases a hold; false when it was already released. */
    release(id: string, by: string, at: number): boolean {
      return release.run({ id, by, at }).changes === 1;
    },
    /** Keep-power holds released or lapsed between `since` and `at` (meters that may still need a 3B). */
    keepPowerEndedSince(since: number, at: number): HoldRow[] {
      return releasedSince.all({ since, at }) as HoldRow[];
    },
    /** Holds past their expiry that were not marked released yet (oldest first, up to 1000). */
    lapsed(at: number): HoldRow[] {
      return lapsed.all(at) as HoldRow[];
    },
  };
}

export type HoldsRepository = ReturnType<typeof holdsRepository>;
