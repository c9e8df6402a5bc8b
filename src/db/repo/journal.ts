// Repository functions for the event outbox, the audit trail and API keys.
import type { Sqlite } from '../connection.js';

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

export function journalRepository(db: Sqlite) {
  const insertEvent = db.prepare(`INSERT INTO events (type, account_id, meter_id, data, created_at) VALUES (?, ?, ?, ?, ?)`);
  const eventsPage = db.prepare(`SELECT id, type, account_id AS accountId, meter_id AS meterId, data, created_at AS createdAt
    FROM events WHERE id > ? AND (? IS NULL OR account_id = ?) ORDER BY id LIMIT ?`);
  const insertAudit = db.prepare(`INSERT INTO audit (actor, action, target, detail, at) VALUES (?, ?, ?, ?, ?)`);
  const insertKey = db.prepare(`INSERT INTO api_keys (id, name, role, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)`);
  const keyByHash = db.prepare(`SELECT id, name, role, created_at AS createdAt, revoked_at AS revokedAt FROM api_keys
    WHERE secret_hash = ?`);
  const revokeKey = db.prepare(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`);

  return {
    appendEvent(type: string, accountId: string | null, meterId: string | null, data: unknown, at: number): number {
      return Number(insertEvent.run(type, accountId, meterId, JSON.stringify(data), at).lastInsertRowid);
    },
    events(afterId: number, accountId: string | null, limit: number): EventRow[] {
      return eventsPage.all(afterId, accountId, accountId, limit) as EventRow[];
    },
    audit(actor: string, action: string, target: string, detail: unknown, at: number): void {
      insertAudit.run(actor, action, target, JSON.stringify(detail), at);
    },
    insertApiKey(id: string, name: string, role: string, secretHash: string, at: number): void {
      insertKey.run(id, name, role, secretHash, at);
    },
    apiKeyByHash(secretHash: string): ApiKeyRow | undefined {
      return keyByHash.get(secretHash) as ApiKeyRow | undefined;
    },
    revokeApiKey(id: string, at: number): boolean {
      return revokeKey.run(at, id).changes === 1;
    },
  };
}

export type JournalRepository = ReturnType<typeof journalRepository>;
