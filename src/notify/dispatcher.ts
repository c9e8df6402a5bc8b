// Delivers outbox events to webhook subscribers: fans new events out into deliveries, and sends
// each subscriber its deliveries in event order, one at a time, so a slow, failing or hung
// subscriber delays only its own queue. A failed attempt is retried with exponential backoff and
// holds back that subscriber's later events; once a delivery has used all its attempts it is
// marked failed and the subscriber is paused (an event says so) until an operator resumes it or
// its cool-off ends. All state is in the database (webhook_deliveries, webhooks, outbox_cursors):
// an attempt is counted before its request goes out, so a delivery interrupted by a crash keeps
// its attempt number and the retry limit holds across restarts. With several daemons on one
// database one of them delivers: the holder of the delivery lease (setGate).
//
//   outbox (events) ─ fanOut ─▶ webhook_deliveries (pending)
//                                   │ per subscriber: the oldest pending one, when due
//                                   ▼
//         count the attempt ─▶ POST url (signed) ── 2xx ─▶ delivered, next one
//                                   └── error/non-2xx ─▶ pending after backoff, or failed + subscriber paused
//
// Every delivery checks its target again (src/notify/targets.ts): a URL whose host now resolves
// to a loopback, private or link-local address, or to the daemon itself, is refused like an error.
import type { Logger } from 'pino';
import type { Repositories } from '../db/repo/index.js';
import type { Config } from '../config/schema.js';
import type { DueDelivery } from '../db/repo/webhooks.js';
import { fanOut } from './subscriptions.js';
import { webhookBody, webhookHeaders } from './signature.js';
import { postWebhook } from './post.js';
import { WebhookTargetRefused, WebhookTargets } from './targets.js';

export type WebhookOptions = Config['webhooks'];

/** Wait before attempt `attempts + 1` after `attempts` failures: base × 2^(attempts-1), capped. */
export function backoffMs(attempts: number, options: Pick<WebhookOptions, 'backoffBaseMs' | 'backoffMaxMs'>): number {
  return Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
}

/** The secrets a delivery is signed with at `now`: the current one, and the previous during its overlap. */
export function signingSecrets(d: Pick<DueDelivery, 'secret' | 'previousSecret' | 'previousSecretUntil'>, now: number): string[] {
  return d.previousSecret !== null && d.previousSecretUntil !== null && d.previousSecretUntil > now ? [d.secret, d.previousSecret] : [d.secret];
}

const ERROR_TEXT_MAX = 500;

export type DeliveryResult = 'delivered' | 'retry' | 'failed';

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private ticking = false;
  private again = false;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** results for the metrics */
  onResult: ((result: DeliveryResult) => void) | null = null;
  /** called when a delivery is refused because its URL now leads to an address it may not target */
  onRefused: (() => void) | null = null;
  /** an outbox event was written here (pause, resume): wakes the event stream */
  onEvent: ((id: number, type: string) => void) | null = null;
  /** whether this daemon delivers now; with several daemons, only the holder of a lease does */
  private gate: () => boolean = () => true;

  constructor(
    private readonly repos: Repositories,
    private readonly options: WebhookOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    /** where deliveries may go; by default public addresses and webhooks.allowedNetworks */
    private readonly targets: WebhookTargets = new WebhookTargets(options.allowedNetworks),
  ) {}

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Delivers only while `gate()` holds: the others' deliveries would be sent twice. */
  setGate(gate: () => boolean): void {
    this.gate = gate;
  }

  /** Looks at the outbox and the due deliveries soon. */
  kick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), 0);
  }

  /** Stops taking new work and waits for the requests in flight (each bounded by timeoutMs). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Per active subscriber, seconds since its oldest undelivered event was recorded (0: none). */
  lagSeconds(): Array<{ webhookId: string; seconds: number }> {
    const now = this.now();
    return this.repos.webhooks.oldestPending().map((r) => ({ webhookId: r.webhookId, seconds: r.oldest === null ? 0 : Math.max(0, now - r.oldest) / 1000 }));
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    if (!this.gate()) {
      this.timer = setTimeout(() => this.tick(), this.options.pollIntervalMs);
      return;
    }
    this.ticking = true;
    let wait = this.options.pollIntervalMs;
    try {
      const now = this.now();
      wait = Math.min(wait, this.resumeCooledOff(now));
      while (fanOut(this.repos, this.options.fanOutBatch, now) === this.options.fanOutBatch && !this.stopped) { /* catch up */ }
      for (const head of this.repos.webhooks.heads()) {
        if (this.inFlight.has(head.webhookId)) continue;
        if (head.nextAttemptAt > now) {
          wait = Math.min(wait, head.nextAttemptAt - now);
          continue;
        }
        if (this.inFlight.size >= this.options.concurrency) break;
        const sending = this.send(head).catch((err: unknown) => {
          this.logger.error({ err, webhook: head.webhookId, event: head.eventId }, 'webhook delivery could not be recorded');
        }).finally(() => {
          this.inFlight.delete(head.webhookId);
          this.kick();
        });
        this.inFlight.set(head.webhookId, sending);
      }
    } catch (err) {
      this.logger.error({ err }, 'webhook dispatch failed');
    } finally {
      this.ticking = false;
    }
    if (this.stopped) return;
    if (this.again) wait = 0;
    this.again = false;
    this.timer = setTimeout(() => this.tick(), Math.max(0, wait));
  }

  /** Resumes the paused subscribers whose cool-off has ended; returns the wait to the next one. */
  private resumeCooledOff(now: number): number {
    let wait = Number.POSITIVE_INFINITY;
    for (const w of this.repos.webhooks.paused()) {
      if (w.pausedUntil !== null && w.pausedUntil > now) {
        wait = Math.min(wait, w.pausedUntil - now);
        continue;
      }
      const id = this.repos.transaction(() => {
        if (!this.repos.webhooks.resume(w.id)) return null;
        return this.repos.journal.appendEvent('webhook-resumed', null, null, { webhookId: w.id, url: w.url, by: 'cool-off', pausedAt: new Date(w.pausedAt ?? now).toISOString() }, now);
      });
      if (id !== null) {
        this.logger.info({ webhook: w.id }, 'webhook subscriber resumed after its cool-off');
        this.onEvent?.(id, 'webhook-resumed');
      }
    }
    return wait;
  }

  private async send(d: DueDelivery): Promise<void> {
    const now = this.now();
    if (d.attempts >= this.options.maxAttempts) {
      // Its last attempt was counted, then interrupted (a crash): no attempt beyond the limit.
      this.giveUp(d, d.attempts, null, 'attempts used up (the last one was interrupted)', now);
      return;
    }
    const attempt = d.attempts + 1;
    // Counted before the request: if the daemon dies during it, the next one tries again after
    // the request's bound and the backoff, as attempt + 1.
    if (!this.repos.webhooks.recordAttempt(d.webhookId, d.eventId, attempt, now + this.options.timeoutMs + backoffMs(attempt, this.options), now)) return;
    const event = { id: d.eventId, type: d.type, accountId: d.accountId, meterId: d.meterId, createdAt: d.createdAt, data: d.data };
    const body = webhookBody(event);
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await postWebhook(new URL(d.url), body, webhookHeaders(signingSecrets(d, now), event, body, attempt, now), this.options.timeoutMs, this.targets);
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e instanceof WebhookTargetRefused) {
        this.onRefused?.();
        error = `refused: ${e.message}`;
      } else {
        error = e.name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : `${e.message}${e.code && !e.message.includes(e.code) ? ` (${e.code})` : ''}`;
      }
    }
    if (this.repos.db.open === false) return;
    const at = this.now();
    if (error === null) {
      this.repos.webhooks.record({ webhookId: d.webhookId, eventId: d.eventId, state: 'delivered', attempts: attempt, nextAttemptAt: at, lastStatus: status, lastError: null, updatedAt: at });
      this.onResult?.('delivered');
      return;
    }
    if (attempt >= this.options.maxAttempts) {
      this.giveUp(d, attempt, status, error, at);
      return;
    }
    this.repos.webhooks.record({
      webhookId: d.webhookId, eventId: d.eventId, state: 'pending', attempts: attempt,
      nextAttemptAt: at + backoffMs(attempt, this.options), lastStatus: status, lastError: error.slice(0, ERROR_TEXT_MAX), updatedAt: at,
    });
    this.onResult?.('retry');
    this.logger.debug({ webhook: d.webhookId, event: d.eventId, attempt, error }, 'webhook delivery failed; will retry');
  }

  /** Marks the delivery failed and pauses its subscriber until an operator or the cool-off resumes it. */
  private giveUp(d: DueDelivery, attempts: number, status: number | null, error: string, at: number): void {
    const until = at + this.options.pauseCoolOffMs;
    const eventId = this.repos.transaction(() => {
      this.repos.webhooks.record({
        webhookId: d.webhookId, eventId: d.eventId, state: 'failed', attempts, nextAttemptAt: at, lastStatus: status,
        lastError: error.slice(0, ERROR_TEXT_MAX), updatedAt: at,
      });
      if (!this.repos.webhooks.pause(d.webhookId, at, until, `event ${d.eventId} failed after ${attempts} attempt(s): ${error}`.slice(0, ERROR_TEXT_MAX))) return null;
      return this.repos.journal.appendEvent('webhook-paused', null, null, {
        webhookId: d.webhookId, url: d.url, eventId: d.eventId, attempts, lastError: error.slice(0, ERROR_TEXT_MAX), pausedUntil: new Date(until).toISOString(),
      }, at);
    });
    this.onResult?.('failed');
    this.logger.warn({ webhook: d.webhookId, event: d.eventId, attempts, error, pausedUntil: new Date(until).toISOString() }, 'webhook delivery failed for good; subscriber paused');
    if (eventId !== null) this.onEvent?.(eventId, 'webhook-paused');
  }
}
