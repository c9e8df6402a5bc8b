// Repository functions for webhook subscribers, their deliveries and the outbox cursor: the
// state that lets deliveries survive a restart.
import type { Database } from '../database.js';

export interface WebhookRow {
  id: string;
  url: string;
  secret: string;
  /** JSON array of event types, or ["*"] */
  eventTypes: string;
  active: number;
  createdAt: number;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'cancelled';

export interface DeliveryRow {
  webhookId: string;
  eventId: number;
  eventType: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  updatedAt: number;
}

/** A due delivery with what sending it needs. */
export interface DueDelivery {
  webhookId: string;
  eventId: number;
  attempts: number;
  url: string;
  secret: string;
  type: string;
  accountId: string | null;
  meterId: string | null;
  data: string;
  createdAt: number;
}

const WEBHOOK_COLUMNS = `id, url, secret, event_types AS "eventTypes", active, created_at AS "createdAt"`;

export function webhooksRepository(db: Database) {
  const insert = db.prepare(`INSERT INTO webhooks (id, url, secret, event_types, active, created_at) VALUES (?, ?, ?, ?, 1, ?)`);
  const byId = db.prepare(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?`);
  const all = db.prepare(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE active = 1 ORDER BY created_at, id`);
  const deactivate = db.prepare(`UPDATE webhooks SET active = 0 WHERE id = ? AND active = 1`);
  const cancelPending = db.prepare(`UPDATE webhook_deliveries SET state = 'cancelled', updated_at = ? WHERE webhook_id = ? AND state = 'pending'`);
  const cursor = db.prepare(`SELECT last_event_id FROM outbox_cursors WHERE name = ?`).pluck();
  const setCursor = db.prepare(`INSERT INTO outbox_cursors (name, last_event_id) VALUES (?, ?)
    ON CONFLICT (name) DO UPDATE SET last_event_id = excluded.last_event_id`);
  const latestEventId = db.prepare(`SELECT COALESCE(MAX(id), 0) FROM events`).pluck();
  const insertDelivery = db.prepare(`INSERT INTO webhook_deliveries (webhook_id, event_id, state, attempts, next_attempt_at, updated_at)
    VALUES (?, ?, 'pending', 0, ?, ?) ON CONFLICT (webhook_id, event_id) DO NOTHING`);
  const due = db.prepare(`SELECT d.webhook_id AS "webhookId", d.event_id AS "eventId", d.attempts, w.url, w.secret,
      e.type, e.account_id AS "accountId", e.meter_id AS "meterId", e.data, e.created_at AS "createdAt"
    FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
    WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.event_id LIMIT ?`);
  const nextDue = db.prepare(`SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE state = 'pending'`).pluck();
  // Only a pending delivery moves on: an attempt that finishes after its webhook was deleted
  // leaves the delivery cancelled.
  const update = db.prepare(`UPDATE webhook_deliveries SET state = @state, attempts = @attempts, next_attempt_at = @nextAttemptAt,
    last_status = @lastStatus, last_error = @lastError, updated_at = @updatedAt
    WHERE webhook_id = @webhookId AND event_id = @eventId AND state = 'pending'`);
  const page = db.prepare(`SELECT d.webhook_id AS "webhookId", d.event_id AS "eventId", e.type AS "eventType", d.state, d.attempts,
      d.next_attempt_at AS "nextAttemptAt", d.last_status AS "lastStatus", d.last_error AS "lastError", d.updated_at AS "updatedAt"
    FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
    WHERE d.webhook_id = @webhookId AND d.event_id > @after AND (CAST(@state AS text) IS NULL OR d.state = @state) ORDER BY d.event_id LIMIT @limit`);

  return {
    insert(id: string, url: string, secret: string, eventTypes: string[], at: number): void {
      insert.run(id, url, secret, JSON.stringify(eventTypes), at);
    },
    get(id: string): WebhookRow | undefined {
      return byId.get(id) as WebhookRow | undefined;
    },
    active(): WebhookRow[] {
      return all.all() as WebhookRow[];
    },
    /** Stops a webhook: it gets no more events and its pending deliveries are cancelled. */
    deactivate(id: string, at: number): boolean {
      const changed = deactivate.run(id).changes === 1;
      if (changed) cancelPending.run(at, id);
      return changed;
    },
    cursor(name: string): number | undefined {
      return cursor.get(name) as number | undefined;
    },
    setCursor(name: string, eventId: number): void {
      setCursor.run(name, eventId);
    },
    latestEventId(): number {
      return latestEventId.get() as number;
    },
    insertDelivery(webhookId: string, eventId: number, at: number): boolean {
      return insertDelivery.run(webhookId, eventId, at, at).changes === 1;
    },
    due(now: number, limit: number): DueDelivery[] {
      return due.all(now, limit) as DueDelivery[];
    },
    /** When the next pending delivery is due (null: none pending). */
    nextDueAt(): number | null {
      return (nextDue.get() as number | null) ?? null;
    },
    record(d: { webhookId: string; eventId: number; state: DeliveryState; attempts: number; nextAttemptAt: number; lastStatus: number | null; lastError: string | null; updatedAt: number }): void {
      update.run(d);
    },
    deliveries(webhookId: string, afterEventId: number, state: DeliveryState | null, limit: number): DeliveryRow[] {
      return page.all({ webhookId, after: afterEventId, state, limit }) as DeliveryRow[];
    },
  };
}

export type WebhooksRepository = ReturnType<typeof webhooksRepository>;
