// Webhook subscribers: creating, listing and stopping them, and turning outbox events into their
// deliveries (fan-out). A new subscriber receives the events recorded after it was created.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Repositories } from '../db/repo/index.js';
import type { WebhookRow } from '../db/repo/webhooks.js';
import { AppError } from '../errors.js';

/** The outbox cursor of webhook fan-out (outbox_cursors.name). */
export const WEBHOOK_CURSOR = 'webhooks';

export interface WebhookInput {
  url: string;
  /** HMAC key; generated when absent */
  secret?: string;
  /** event types, "*" for all, or a prefix ending in "*" such as "alarm-*" */
  eventTypes?: string[];
}

/** Whether an event type is one a subscriber asked for. */
export function wants(eventTypes: readonly string[], type: string): boolean {
  return eventTypes.some((t) => t === '*' || t === type || (t.endsWith('*') && type.startsWith(t.slice(0, -1))));
}

export function createWebhook(repos: Repositories, input: WebhookInput, actor: string, now: number): WebhookRow {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new AppError('VALIDATION', `url "${input.url}" is not a URL`, { field: 'url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError('VALIDATION', 'url must be http or https', { field: 'url' });
  const id = randomUUID();
  const secret = input.secret ?? newSecret();
  const eventTypes = input.eventTypes && input.eventTypes.length > 0 ? input.eventTypes : ['*'];
  return repos.transaction(() => {
    // Bring the existing subscribers up to date first, so the new one starts after the events so far.
    while (fanOut(repos, 10_000, now) > 0) { /* until the cursor is at the latest event */ }
    repos.webhooks.insert(id, url.toString(), secret, eventTypes, now);
    repos.journal.audit(actor, 'webhook-created', id, { url: url.toString(), eventTypes }, now);
    return repos.webhooks.get(id)!;
  });
}

export function deleteWebhook(repos: Repositories, id: string, actor: string, now: number): void {
  repos.transaction(() => {
    const webhook = repos.webhooks.get(id);
    if (!webhook || webhook.active !== 1) throw new AppError('NOT_FOUND', `webhook ${id} does not exist`);
    repos.webhooks.deactivate(id, now);
    repos.journal.audit(actor, 'webhook-deleted', id, { url: webhook.url }, now);
  });
}

/**
 * Turns up to `batch` outbox events after the cursor into pending deliveries, one per interested
 * subscriber, and moves the cursor, in one transaction. Returns how many events it read.
 */
export function fanOut(repos: Repositories, batch: number, now: number): number {
  return repos.transaction(() => {
    const cursor = repos.webhooks.cursor(WEBHOOK_CURSOR) ?? 0;
    const hooks = repos.webhooks.active().map((w) => ({ id: w.id, types: JSON.parse(w.eventTypes) as string[] }));
    if (hooks.length === 0) {
      const latest = repos.webhooks.latestEventId();
      if (latest !== cursor) repos.webhooks.setCursor(WEBHOOK_CURSOR, latest);
      return 0;
    }
    const events = repos.journal.events(cursor, null, batch);
    if (events.length === 0) return 0;
    for (const e of events) {
      for (const h of hooks) if (wants(h.types, e.type)) repos.webhooks.insertDelivery(h.id, e.id, now);
    }
    repos.webhooks.setCursor(WEBHOOK_CURSOR, events[events.length - 1]!.id);
    return events.length;
  });
}

/** A new signing secret (generated when absent); the old one stays valid for `overlapMs`. */
export function rotateWebhookSecret(repos: Repositories, id: string, input: { secret?: string; overlapMs: number }, actor: string, now: number): { webhook: WebhookRow; secret: string } {
  return repos.transaction(() => {
    const webhook = repos.webhooks.get(id);
    if (!webhook || webhook.active !== 1) throw new AppError('NOT_FOUND', `webhook ${id} does not exist`);
    const secret = input.secret ?? newSecret();
    if (secret === webhook.secret) throw new AppError('VALIDATION', 'the new secret must differ from the current one', { field: 'secret' });
    const until = input.overlapMs > 0 ? now + input.overlapMs : null;
    repos.webhooks.rotateSecret(id, secret, until === null ? null : webhook.secret, until);
    repos.journal.audit(actor, 'webhook-secret-rotated', id, { previousValidUntil: until === null ? null : new Date(until).toISOString() }, now);
    return { webhook: repos.webhooks.get(id)!, secret };
  });
}

/** Resumes a paused subscriber at once (an operator's decision, audited); its queue goes on in order. */
export function resumeWebhook(repos: Repositories, id: string, actor: string, now: number): { webhook: WebhookRow; eventId: number | null } {
  return repos.transaction(() => {
    const webhook = repos.webhooks.get(id);
    if (!webhook || webhook.active !== 1) throw new AppError('NOT_FOUND', `webhook ${id} does not exist`);
    if (!repos.webhooks.resume(id)) return { webhook, eventId: null };
    const eventId = repos.journal.appendEvent('webhook-resumed', null, null, {
      webhookId: id, url: webhook.url, by: actor, pausedAt: new Date(webhook.pausedAt ?? now).toISOString(),
    }, now);
    repos.journal.audit(actor, 'webhook-resumed', id, { pauseReason: webhook.pauseReason }, now);
    return { webhook: repos.webhooks.get(id)!, eventId };
  });
}

function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}
