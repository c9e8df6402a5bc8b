// Acting on evaluations: the commands the decisions ask for (all of one batch in one
// transaction, with the review items raised alongside), review items for protected customers
// and relay faults, and the flapping guard's keep-power hold. A supply point with a command
// already sent is left alone: the engine converges after that command finishes. Another daemon's
// engine may have created a command meanwhile (several daemons, one database): the refusal that
// follows says a command is in flight, which is what this engine wanted.
import type { Logger } from 'pino';
import type { Repositories } from '../db/repo/index.js';
import { isInFlightRefusal, type CommandService, type CommandRequest } from '../commands/service.js';
import type { Metrics } from '../metrics.js';
import type { HoldService } from '../holds/service.js';
import type { ReviewService } from './reviews.js';
import type { Evaluation } from './evaluate.js';

export interface ActionOptions {
  flapHoldMs: number;
  /** after a failed automatic relay command, the next waits this long, doubling per failure up to a day */
  retryBackoffMs?: number;
}

/** Open review items that stop automatic relay commands to a meter until a person resolves them. */
const STOPPING_REVIEWS = new Set(['command-refused', 'relay-unconfirmable']);
/** States of a relay command that did not bring the meter where it was meant to. */
const UNSUCCESSFUL = new Set(['failed', 'expired', 'refused', 'unconfirmable']);
const DAY_MS = 86_400_000;

export interface ActionCounts {
  commands: number;
  reviews: number;
}

export class EngineActions {
  constructor(
    private readonly repos: Repositories,
    private readonly commands: CommandService,
    private readonly reviews: ReviewService,
    private readonly holds: HoldService,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: ActionOptions,
    private readonly now: () => number,
  ) {}

  apply(evaluations: Evaluation[]): ActionCounts {
    const requests: CommandRequest[] = [];
    const reviewsDue: Evaluation[] = [];
    const faults: Evaluation[] = [];
    const flapping: Evaluation[] = [];
    for (const ev of evaluations) {
      if (ev.fault && !this.repos.reviews.openFor('relay-fault', { meterId: ev.row.meterId })) faults.push(ev);
      const { action, rule } = ev.decision;
      if (action === 'review') {
        if (ev.row.reviewAt === null) reviewsDue.push(ev);
      } else if (action === 'disconnect' || action === 'reconnect') {
        const a = ev.active;
        if (a && !(a.state === 'queued' && (a.action === 'disconnect' || a.action === 'reconnect'))) continue;
        if (!a && this.heldBack(ev.row.meterId, action)) continue;
        requests.push({
          meterId: ev.row.meterId, action, origin: 'engine', actor: 'engine', reason: ev.decision.reason,
          ...(action === 'reconnect' ? triggerOf(ev) : {}),
        });
      } else if (rule === 'relay-safety' && ev.safety?.flapping && !ev.holds.some((h) => h.kind === 'keep-power')) {
        flapping.push(ev);
      }
    }
    if (requests.length === 0 && reviewsDue.length === 0 && faults.length === 0 && flapping.length === 0) return { commands: 0, reviews: 0 };

    let reviews = 0;
    const raise = () => {
      const at = this.now();
      for (const ev of reviewsDue) {
        if (this.reviews.raiseProtectedInTransaction(ev.row.accountId, ev.row.meterId, ev.decision.reason, ev.row.balanceFen, at) !== null) reviews++;
      }
      for (const ev of faults) {
        const id = this.reviews.raiseInTransaction({ kind: 'relay-fault', accountId: ev.row.accountId, meterId: ev.row.meterId, reason: ev.fault! }, at);
        if (id !== null) {
          reviews++;
          this.repos.journal.appendEvent('relay-fault', ev.row.accountId, ev.row.meterId, { reviewId: id, reason: ev.fault }, at);
        }
      }
    };
    let commands = 0;
    if (requests.length > 0) {
      for (const r of this.commands.requestMany(requests, raise)) {
        if (r.ok) commands++;
        else if (isInFlightRefusal(r.error)) this.logger.info({ meter: r.meterId, err: r.error.message }, 'engine command not created: a command is already in flight');
        else this.logger.warn({ meter: r.meterId, err: r.error.message }, 'engine command not created');
      }
    } else {
      this.repos.transaction(raise);
    }
    for (const r of requests) this.metrics.engineDecisions.inc({ action: r.action });
    if (reviews > 0) this.metrics.engineDecisions.inc({ action: 'review' }, reviews);
    for (const ev of flapping) this.holdOn(ev);
    if (requests.length > 0) this.logger.info({ commands, reviews, disconnects: requests.filter((r) => r.action === 'disconnect').length }, 'engine acted');
    return { commands, reviews: reviews + flapping.length };
  }

  /**
   * Whether an automatic command must wait: a refused or unconfirmable command is with a person
   * (an open review item), and after failures the next try waits retryBackoffMs, doubling with
   * each consecutive failure of the same action, up to a day — never a fixed period forever.
   */
  private heldBack(meterId: string, action: 'disconnect' | 'reconnect'): boolean {
    if (this.repos.reviews.openForMeter(meterId).some((r) => STOPPING_REVIEWS.has(r.kind))) {
      this.logger.debug({ meter: meterId, action }, 'automatic command held: an open review item stops commands to this meter');
      return true;
    }
    const now = this.now();
    const history = this.repos.commands.relayHistory(meterId, now - DAY_MS);
    let failures = 0;
    for (const op of history) {
      if (op.action !== action || !UNSUCCESSFUL.has(op.state)) break;
      failures++;
    }
    if (failures === 0) return false;
    const last = history[0]!.finishedAt ?? history[0]!.sentAt ?? now;
    const wait = Math.min(DAY_MS, (this.options.retryBackoffMs ?? 60_000) * 2 ** (failures - 1));
    return now < last + wait;
  }

  /** The flapping guard: keep supply (a keep-power hold that expires) and ask a person to look. */
  private holdOn(ev: Evaluation): void {
    const reason = ev.safety!.reason;
    try {
      this.holds.place({ kind: 'keep-power', scope: 'meter', targetIds: [ev.row.meterId], actor: 'relay-safety', reason, expiresAt: this.now() + this.options.flapHoldMs });
      this.reviews.raise({ kind: 'flapping', accountId: ev.row.accountId, meterId: ev.row.meterId, reason });
    } catch (err) {
      this.logger.warn({ meter: ev.row.meterId, err: (err as Error).message }, 'flapping guard could not place its hold');
    }
  }
}

/** The payment that made a restore due, when it came after the cut-off: restore latency starts there. */
function triggerOf(ev: Evaluation): { triggerAt?: number } {
  const paidAt = ev.input.latestPaymentAt ?? null;
  if (paidAt === null || paidAt > ev.input.now) return {};
  const cutAt = ev.lastRelay?.action === 'disconnect' ? (ev.lastRelay.finishedAt ?? ev.lastRelay.createdAt) : null;
  return cutAt === null || paidAt >= cutAt ? { triggerAt: paidAt } : {};
}
