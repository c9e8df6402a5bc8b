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
  previousSecret: string | null;
  previousSecretUntil: number | null;
  pausedAt: number | null;
  pausedUntil: number | null;
  pauseReason: string | null;
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

/** A subscriber's next delivery (the head of its queue) with what sending it needs. */
export interface DueDelivery {
  webhookId: string;
  eventId: number;
  attempts: number;
  nextAttemptAt: number;
  url: string;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: number | null;
  type: string;
  accountId: string | null;
  meterId: string | null;
  data: string;
  createdAt: number;
}

const WEBHOOK_COLUMNS = `id, url, secret, event_types AS "eventTypes", active, created_at AS "createdAt",
  previous_secret AS "previousSecret", previous_secret_until AS "previousSecretUntil", paused_at AS "pausedAt",
  paused_until AS "pausedUntil", pause_reason AS "pauseReason"`;

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
  // Each active subscriber's oldest pending delivery: deliveries go out in event order, one at a
  // time per subscriber, so a later one waits for the head (webhook_head index).
  const heads = db.prepare(`SELECT d.webhook_id AS "webhookId", d.event_id AS "eventId", d.attempts, d.next_attempt_at AS "nextAttemptAt",
      w.url, w.secret, w.previous_secret AS "previousSecret", w.previous_secret_until AS "previousSecretUntil",
      e.type, e.account_id AS "accountId", e.meter_id AS "meterId", e.data, e.created_at AS "createdAt"
    FROM webhooks w
    JOIN webhook_deliveries d ON d.webhook_id = w.id AND d.state = 'pending' AND d.event_id = (
      SELECT MIN(h.event_id) FROM webhook_deliveries h WHERE h.webhook_id = w.id AND h.state = 'pending')
    JOIN events e ON e.id = d.event_id
    WHERE w.active = 1 AND w.paused_at IS NULL ORDER BY w.created_at, w.id`);
  const pausedDue = db.prepare(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE active = 1 AND paused_at IS NOT NULL ORDER BY paused_until`);
  const pause = db.prepare(`UPDATE webhooks SET paused_at = ?, paused_until = ?, pause_reason = ? WHERE id = ? AND active = 1 AND paused_at IS NULL`);
  const resume = db.prepare(`UPDATE webhooks SET paused_at = NULL, paused_until = NULL, pause_reason = NULL WHERE id = ? AND active = 1 AND paused_at IS NOT NULL`);
  const rotate = db.prepare(`UPDATE webhooks SET secret = ?, previous_secret = ?, previous_secret_until = ? WHERE id = ? AND active = 1`);
  // An attempt is counted before its request is sent: one a crash interrupts still counts.
  const attempt = db.prepare(`UPDATE webhook_deliveries SET attempts = ?, next_attempt_at = ?, updated_at = ?, last_status = NULL,
    last_error = 'sent; no answer recorded yet' WHERE webhook_id = ? AND event_id = ? AND state = 'pending'`);
  const oldestPending = db.prepare(`SELECT w.id AS "webhookId", MIN(e.created_at) AS "oldest"
    FROM webhooks w LEFT JOIN webhook_deliveries d ON d.webhook_id = w.id AND d.state = 'pending' LEFT JOIN events e ON e.id = d.event_id
    WHERE w.active = 1 GROUP BY w.id`);
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
    /** Every active, unpaused subscriber's next delivery, due or not. */
    heads(): DueDelivery[] {
      return heads.all() as DueDelivery[];
    },
    /** Active subscribers that are paused, the earliest cool-off first. */
    paused(): WebhookRow[] {
      return pausedDue.all() as WebhookRow[];
    },
    pause(id: string, at: number, until: number, reason: string): boolean {
      return pause.run(at, until, reason, id).changes === 1;
    },
    resume(id: string): boolean {
      return resume.run(id).changes === 1;
    },
    /** A new secret; the old one stays valid (a second signature) until `previousUntil`. */
    rotateSecret(id: string, secret: string, previous: string | null, previousUntil: number | null): boolean {
      return rotate.run(secret, previous, previousUntil, id).changes === 1;
    },
    /** Counts an attempt before it is made; `retryAt` is when it is tried again if nothing is recorded. */
    recordAttempt(webhookId: string, eventId: number, attempts: number, retryAt: number, at: number): boolean {
      return attempt.run(attempts, retryAt, at, webhookId, eventId).changes === 1;
    },
    /** Per active subscriber, when its oldest pending event was recorded (null: nothing pending). */
    oldestPending(): Array<{ webhookId: string; oldest: number | null }> {
      return oldestPending.all() as Array<{ webhookId: string; oldest: number | null }>;
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
