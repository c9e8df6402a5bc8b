// Delivers outbox events to webhook subscribers: fans new events out into deliveries, sends the
// due ones (one request at a time per subscriber, a few subscribers at once), and on failure
// retries with exponential backoff until the attempts run out. All state is in the database
// (webhook_deliveries, outbox_cursors), so deliveries survive a restart: a delivery that was in
// flight when the daemon stopped is still pending and is sent again (the event id lets the
// receiver recognise it). With several daemons on one database one of them delivers: the holder
// of the delivery lease (setGate).
//
//   outbox (events) ─ fanOut ─▶ webhook_deliveries (pending, next_attempt_at)
//                                   │ due
//                                   ▼
//                       POST url (signed) ── 2xx ─▶ delivered
//                                   └── error/non-2xx ─▶ pending again after backoff, or failed
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

const ERROR_TEXT_MAX = 500;

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private ticking = false;
  private again = false;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** results for the metrics: 'delivered' | 'retry' | 'failed' */
  onResult: ((result: 'delivered' | 'retry' | 'failed') => void) | null = null;
  /** called when a delivery is refused because its URL now leads to an address it may not target */
  onRefused: (() => void) | null = null;
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

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    if (!this.gate()) {
      this.timer = setTimeout(() => this.tick(), this.options.pollIntervalMs);
      return;
    }
    this.ticking = true;
    try {
      const now = this.now();
      while (fanOut(this.repos, this.options.fanOutBatch, now) === this.options.fanOutBatch && !this.stopped) { /* catch up */ }
      const free = this.options.concurrency - this.inFlight.size;
      if (free > 0) {
        for (const d of this.repos.webhooks.due(now, free * 4)) {
          if (this.inFlight.size >= this.options.concurrency) break;
          if (this.inFlight.has(d.webhookId)) continue;
          const sending = this.send(d).finally(() => {
            this.inFlight.delete(d.webhookId);
            this.kick();
          });
          this.inFlight.set(d.webhookId, sending);
        }
      }
    } catch (err) {
      this.logger.error({ err }, 'webhook dispatch failed');
    } finally {
      this.ticking = false;
    }
    if (this.stopped) return;
    const wait = this.again ? 0 : this.untilNextDue();
    this.again = false;
    this.timer = setTimeout(() => this.tick(), wait);
  }

  /** The poll interval, or sooner when a retry falls due before it. */
  private untilNextDue(): number {
    const next = this.repos.webhooks.nextDueAt();
    const poll = this.options.pollIntervalMs;
    return next === null ? poll : Math.max(0, Math.min(poll, next - this.now()));
  }

  private async send(d: DueDelivery): Promise<void> {
    const event = { id: d.eventId, type: d.type, accountId: d.accountId, meterId: d.meterId, createdAt: d.createdAt, data: d.data };
    const body = webhookBody(event);
    const attempt = d.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await postWebhook(new URL(d.url), body, webhookHeaders(d.secret, event, body, attempt, this.now()), this.options.timeoutMs, this.targets);
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
    const now = this.now();
    if (error === null) {
      this.repos.webhooks.record({ webhookId: d.webhookId, eventId: d.eventId, state: 'delivered', attempts: attempt, nextAttemptAt: now, lastStatus: status, lastError: null, updatedAt: now });
      this.onResult?.('delivered');
      return;
    }
    const failed = attempt >= this.options.maxAttempts;
    this.repos.webhooks.record({
      webhookId: d.webhookId, eventId: d.eventId, state: failed ? 'failed' : 'pending', attempts: attempt,
      nextAttemptAt: failed ? now : now + backoffMs(attempt, this.options), lastStatus: status, lastError: error.slice(0, ERROR_TEXT_MAX), updatedAt: now,
    });
    this.onResult?.(failed ? 'failed' : 'retry');
    (failed ? this.logger.warn : this.logger.debug).call(this.logger, { webhook: d.webhookId, event: d.eventId, attempt, error }, failed ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry');
  }
}
