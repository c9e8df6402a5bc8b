// Repository functions for the event outbox, the audit trail and API keys.
import type { Database } from '../database.js';
import { jsonValues, insertReturningId } from '../dialect.js';

export interface EventRow {
  id: number;
  type: string;
  accountId: string | null;
  meterId: string | null;
  data: string;
  createdAt: number;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  role: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface EventFilter {
  /** event types to keep; null or empty = all */
  types?: string[] | null;
  accountId?: string | null;
  meterId?: string | null;
}

const EVENT_COLUMNS = `id, type, account_id AS "accountId", meter_id AS "meterId", data, created_at AS "createdAt"`;
const KEY_COLUMNS = `id, name, role, created_at AS "createdAt", revoked_at AS "revokedAt"`;

const KEY_CACHE_MS = 5_000;
const KEY_CACHE_MAX = 10_000;

export function journalRepository(db: Database) {
  const insertEvent = insertReturningId(db, `INSERT INTO events (type, account_id, meter_id, data, created_at) VALUES (?, ?, ?, ?, ?)`);
  const eventsPage = db.prepare(`SELECT ${EVENT_COLUMNS}
    FROM events WHERE id > ? AND (CAST(? AS text) IS NULL OR account_id = ?) ORDER BY id LIMIT ?`);
  // Two shapes so that an account filter uses the events_account index; types arrive as a JSON array.
  const eventsFiltered = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events
    WHERE id > @after AND (CAST(@types AS text) IS NULL OR type IN (SELECT value FROM ${jsonValues(db, '@types')}))
    AND (CAST(@meterId AS text) IS NULL OR meter_id = @meterId) ORDER BY id LIMIT @limit`);
  const eventsOfAccount = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events
    WHERE account_id = @accountId AND id > @after AND (CAST(@types AS text) IS NULL OR type IN (SELECT value FROM ${jsonValues(db, '@types')}))
    AND (CAST(@meterId AS text) IS NULL OR meter_id = @meterId) ORDER BY id LIMIT @limit`);
  // The same, newest first, below a cursor (the latest events: the console's first page).
  const eventsFilteredNewestFirst = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events
    WHERE id < @before AND (CAST(@types AS text) IS NULL OR type IN (SELECT value FROM ${jsonValues(db, '@types')}))
    AND (CAST(@meterId AS text) IS NULL OR meter_id = @meterId) ORDER BY id DESC LIMIT @limit`);
  const eventsOfAccountNewestFirst = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events
    WHERE account_id = @accountId AND id < @before AND (CAST(@types AS text) IS NULL OR type IN (SELECT value FROM ${jsonValues(db, '@types')}))
    AND (CAST(@meterId AS text) IS NULL OR meter_id = @meterId) ORDER BY id DESC LIMIT @limit`);
  const lastEventId = db.prepare(`SELECT COALESCE(MAX(id), 0) FROM events`).pluck();
  const insertAudit = db.prepare(`INSERT INTO audit (actor, action, target, detail, at) VALUES (?, ?, ?, ?, ?)`);
  const auditPage = db.prepare(`SELECT id, actor, action, target, detail, at FROM audit WHERE id > ? ORDER BY id LIMIT ?`);
  const insertKey = db.prepare(`INSERT INTO api_keys (id, name, role, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)`);
  const keyCache = new Map<string, { row: ApiKeyRow; at: number }>();
  const keyByHash = db.prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE secret_hash = ?`);
  const keyById = db.prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`);
  const keysPage = db.prepare(`SELECT ${KEY_COLUMNS} FROM api_keys
    WHERE (created_at, id) > (@afterAt, @afterId) AND (@active = 0 OR revoked_at IS NULL)
    ORDER BY created_at, id LIMIT @limit`);
  const activeAdmins = db.prepare(`SELECT COUNT(*) FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL`).pluck();
  const revokeKey = db.prepare(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`);

  // Outbox readers page by id, so an id must never become visible after a larger one. Writers
  // follow one another on SQLite; on PostgreSQL a transaction holds the writer lock from before its
  // first insert to its commit, so an event written outside one gets a transaction of its own.
  const insertEventAlone = db.transaction((...row: unknown[]) => insertEvent(...row));

  return {
    appendEvent(type: string, accountId: string | null, meterId: string | null, data: unknown, at: number): number {
      const row = [type, accountId, meterId, JSON.stringify(data), at];
      return (db.dialect === 'postgres' && !db.inTransaction ? insertEventAlone(...row) : insertEvent(...row));
    },
    events(afterId: number, accountId: string | null, limit: number): EventRow[] {
      return eventsPage.all(afterId, accountId, accountId, limit) as EventRow[];
    },
    /** Outbox rows after a cursor, oldest first, filtered by type, account and meter. */
    eventsWhere(afterId: number, filter: EventFilter, limit: number): EventRow[] {
      const params = {
        after: afterId, limit, meterId: filter.meterId ?? null, accountId: filter.accountId ?? null,
        types: filter.types && filter.types.length > 0 ? JSON.stringify(filter.types) : null,
      };
      return (filter.accountId ? eventsOfAccount.all(params) : eventsFiltered.all(params)) as EventRow[];
    },
    /** Events with an id below `beforeId` that pass the filter, newest first. */
    eventsNewestFirst(beforeId: number, filter: EventFilter, limit: number): EventRow[] {
      const params = {
        before: beforeId, limit, meterId: filter.meterId ?? null, accountId: filter.accountId ?? null,
        types: filter.types && filter.types.length > 0 ? JSON.stringify(filter.types) : null,
      };
      return (filter.accountId ? eventsOfAccountNewestFirst.all(params) : eventsFilteredNewestFirst.all(params)) as EventRow[];
    },
    lastEventId(): number {
      return lastEventId.get() as number;
    },
    audit(actor: string, action: string, target: string, detail: unknown, at: number): void {
      insertAudit.run(actor, action, target, JSON.stringify(detail), at);
    },
    auditAfter(afterId: number, limit: number): Array<{ id: number; actor: string; action: string; target: string; detail: string; at: number }> {
      return auditPage.all(afterId, limit) as Array<{ id: number; actor: string; action: string; target: string; detail: string; at: number }>;
    },
    insertApiKey(id: string, name: string, role: string, secretHash: string, at: number): void {
      insertKey.run(id, name, role, secretHash, at);
    },
    /**
     * Known keys are cached for a few seconds: a key lookup is a SELECT on every request otherwise.
     * A revocation through this daemon clears the cache at once; one made by another process (the
     * CLI) takes effect within KEY_CACHE_MS.
     */
    apiKeyByHash(secretHash: string): ApiKeyRow | undefined {
      const now = Date.now();
      const cached = keyCache.get(secretHash);
      if (cached && now - cached.at < KEY_CACHE_MS) return cached.row;
      const row = keyByHash.get(secretHash) as ApiKeyRow | undefined;
      if (row) {
        if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
        keyCache.set(secretHash, { row, at: now });
      } else {
        keyCache.delete(secretHash);
      }
      return row;
    },
    apiKey(id: string): ApiKeyRow | undefined {
      return keyById.get(id) as ApiKeyRow | undefined;
    },
    /** Keys in creation order after the cursor (createdAt, id); never their hashes. */
    apiKeys(after: { createdAt: number; id: string } | null, activeOnly: boolean, limit: number): ApiKeyRow[] {
      return keysPage.all({ afterAt: after?.createdAt ?? -1, afterId: after?.id ?? '', active: activeOnly ? 1 : 0, limit }) as ApiKeyRow[];
    },
    activeAdminKeys(): number {
      return activeAdmins.get() as number;
    },
    revokeApiKey(id: string, at: number): boolean {
      keyCache.clear();
      return revokeKey.run(at, id).changes === 1;
    },
  };
}

export type JournalRepository = ReturnType<typeof journalRepository>;
