// The durable command lifecycle: queued → sent → confirmed | failed | expired | cancelled |
// refused | unconfirmable. Confirmed only by the meter's own state read back; never two commands
// in flight for one meter (a unique index); an expiry on every command (on DL/T 645 the 0x1C
// validity deadline); after a restart a sent command is read back before anything is sent again.
// A refusal (unauthorised, deadline invalid, other) is sent again after a pause that doubles
// (refusalBackoffMs), up to maxAttempts sends; then the command ends refused with the meter's
// reason and a review item is raised — at the first refusal already for a reconnect, as someone is
// without power. A keep-power refusal ends it refused at once (an outcome, not a fault). A meter
// that cannot show its relay state gets the command but never a confirmation: unconfirmable,
// with a review item. An ESAM meter that refuses identity authentication, or whose key version
// the security module lacks, ends refused at once too (`final`), with a review. With several
// daemons on one database a command
// runs only in the daemon that owns its meter's link (`owns`, the bus lease): any daemon may create
// it, the owner picks it up (resumeBus) and a new owner resumes it as a restart does. The 'sent'
// mark is fenced by the lease (`fence`): it is written only while the lease row still names this
// node at the epoch it took the bus with, so an owner that stalled past a takeover sends nothing.
//   queued ─(link free)─▶ sent ─▶ read back ─┬─ wanted state ─▶ confirmed
//                          ▲                 ├─ trip pending / close permitted ─▶ keep reading (outcome noted)
//                          └──── resend ─────┼─ N read-backs, no progress ─▶ resend; after maxAttempts ─▶ failed
//                                            └─ past expiry ─▶ expired
//   sent ─▶ refused ─▶ pause (doubling) ─▶ resend; after maxAttempts ─▶ refused + review
//   sent to a meter without a relay read-back ─▶ unconfirmable + review
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Repositories, CommandRow, CommandAction, CommandOrigin, MeterRow } from '../db/repo/index.js';
import type { CommandOutcome, FinalCommandState } from '../domain/codes.js';
import { isActiveCommandConflict } from '../db/repo/commands.js';
import type { LeaseFence } from '../db/repo/leases.js';
import type { EventBus } from '../events.js';
import type { Metrics } from '../metrics.js';
import { AppError } from '../errors.js';
import { CommandQueue, linkOf, priorityOf } from '../engine/command-queue.js';
import { GroupCommit } from '../engine/group-commit.js';
import { Sleeper, within } from '../engine/timing.js';
import { CONFIRMED_EVENT, expiryOf, isRelay, progressOf, reached, targetOf, type Target } from '../engine/command-targets.js';
import { holdBlocking } from '../holds/blocking.js';
import type { RelayExecutor, SendResult } from './executor.js';
import { rearmAfterRestore } from '../ledger/ledger.js';
import { ReviewService } from '../engine/reviews.js';

/**
 * The bound on one send runs this long past the command's expiry, so an executor that watches the
 * deadline itself (a concentrator's missing ack) gives its own answer, failed with the reason,
 * instead of racing the bound to a different final state. The bound is only a safety net.
 */
const EXECUTOR_ANSWER_GRACE_MS = 1000;

export interface CommandOptions {
  commandExpiryMs: number;
  confirmIntervalMs: number;
  /** read-backs after one send that show no progress before the command is sent again (default 5) */
  confirmTries?: number;
  maxAttempts: number;
  /** commands running at once per bus or concentrator (default 2) */
  commandsPerLink?: number;
  /** commands running at once in all, restores excepted (default 64) */
  commandsInFlightMax?: number;
  /** pause before a refused command is sent again, doubling with each refusal (default 15 s) */
  refusalBackoffMs?: number;
}

export interface CommandRequest {
  meterId: string;
  action: CommandAction;
  origin: CommandOrigin;
  actor: string;
  reason: string;
  expiresAt?: number;
  bulkId?: string;
  /** when the cause was committed (the payment, for a restore): restore latency is measured from it */
  triggerAt?: number;
}

export type RequestResult = { ok: true; command: CommandRow } | { ok: false; meterId: string; error: AppError };

/** Whether this daemon may run commands on the meter's link now (default: always). */
export type LinkOwnership = (meter: MeterRow) => boolean;

/** The lease a 'sent' mark on the meter's link must still hold in the database; null: none (default). */
export type LinkFence = (meter: MeterRow) => LeaseFence | null;

/** A request refused because the meter already has a command in flight (context.inFlight): not a fault. */
export function isInFlightRefusal(error: AppError): boolean {
  return error.code === 'CONFLICT' && error.context.inFlight === true;
}

/** How many read-backs after one send before the command is sent again, unless configured (engine.confirmTries). */
const READBACKS_PER_ATTEMPT = 5;

export class CommandService {
  private readonly queue: CommandQueue;
  private readonly runs = new Set<Promise<void>>();
  /** commands created already marked sent: their first attempt needs no read-back and no mark */
  private readonly markedAtCreation = new Set<string>();
  private stopped = false;
  private readonly sleeper = new Sleeper();
  /** 'sent' marks, durable before the frame goes out; a burst of starts shares one transaction */
  private readonly sentMarks: GroupCommit<{ id: string; fence: LeaseFence | null }, boolean>;
  private readonly reviews: ReviewService;

  constructor(
    private readonly repos: Repositories,
    private readonly executors: Record<string, RelayExecutor>,
    private readonly events: EventBus,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: CommandOptions,
    private readonly now: () => number = Date.now,
    private readonly owns: LinkOwnership = () => true,
    private readonly fence: LinkFence = () => null,
  ) {
    this.queue = new CommandQueue(options.commandsPerLink ?? 2, options.commandsInFlightMax ?? 64);
    this.reviews = new ReviewService(repos, now);
    this.sentMarks = new GroupCommit((marks) => {
      const at = this.now();
      return this.repos.transaction(() => marks.map((m) => this.repos.commands.markSent(m.id, at, m.fence)));
    });
  }

  /**
   * Creates a command (or returns the equivalent one already active) and starts it. When its link
   * is free the command is created already marked sent, so its frame goes out without a second
   * commit (a restore after a payment waits for one fsync less); on a restart it is read back first.
   */
  request(req: CommandRequest): CommandRow {
    const [result] = this.requestMany([req]);
    if (!result!.ok) throw result!.error;
    return result!.command;
  }

  /**
   * Creates many commands in one transaction (one fsync), each independently (a refused one does
   * not stop the others), runs `alsoInTransaction` with the results before the commit, then starts them.
   */
  requestMany(reqs: CommandRequest[], alsoInTransaction?: (results: RequestResult[]) => void): RequestResult[] {
    const at = this.now();
    const results = this.repos.transaction(() => {
      const out = reqs.map((req): RequestResult => {
        try {
          return { ok: true, command: this.repos.db.transaction(() => this.create(req, at, reqs.length === 1))() };
        } catch (err) {
          if (err instanceof AppError) return { ok: false, meterId: req.meterId, error: err };
          throw err;
        }
      });
      alsoInTransaction?.(out);
      return out;
    });
    for (const r of results) if (r.ok) this.kick(r.command);
    return results;
  }

  /** Resumes every active command after a restart (each is read back before it is sent again). */
  resumeAll(): void {
    for (const command of this.repos.commands.allActive()) this.kick(command);
  }

  /**
   * Picks up the active commands of the meters on one bus that are not running here: at a takeover
   * of its lease (a sent one is read back before anything is sent again, as after a restart), and
   * periodically for commands other daemons created. Returns how many were started.
   */
  resumeBus(busId: string): number {
    let started = 0;
    for (const command of this.repos.commands.activeOnBus(busId)) if (this.kick(command)) started++;
    return started;
  }

  cancel(commandId: string, actor: string, reason: string): CommandRow {
    const command = this.repos.commands.get(commandId);
    if (!command) throw new AppError('COMMAND_NOT_FOUND', `command ${commandId} does not exist`);
    if (command.state !== 'queued') throw new AppError('CONFLICT', `command ${commandId} is ${command.state}; only queued commands can be cancelled`);
    const at = this.now();
    this.repos.transaction(() => {
      if (!this.repos.commands.finish(commandId, 'cancelled', 'cancelled', at)) return;
      this.repos.journal.audit(actor, 'command-cancelled', command.meterId, { commandId, action: command.action, reason }, at);
    });
    this.metrics.commandsTotal.inc({ action: command.action, state: 'cancelled', outcome: 'cancelled' });
    return this.repos.commands.get(commandId)!;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.clearWaiting();
    this.sleeper.wakeAll();
    await Promise.allSettled([...this.runs]);
  }

  /** Whether keep-power holds can be mirrored to this meter (0x1C N1 = 3A / 3B or the protocol's equivalent). */
  keepPowerCapable(meter: MeterRow): boolean {
    return meter.supportsKeepPower === 1 && typeof this.executors[meter.protocol]?.keepPower === 'function';
  }

  /** Commands waiting for their link or running. */
  get inFlight(): number {
    return this.queue.size;
  }

  private create(req: CommandRequest, at: number, startNow: boolean): CommandRow {
    const meter = this.repos.meters.get(req.meterId);
    if (!meter) throw new AppError('METER_NOT_FOUND', `meter ${req.meterId} does not exist`);
    const hold = req.origin === 'operator' && isRelay(req.action) ? holdBlocking(this.repos, meter, req.action, at) : undefined;
    if (hold) {
      throw new AppError('CONFLICT', `meter ${meter.id} is under a ${hold.kind} hold (${hold.id}, ${hold.actor}: ${hold.reason}); release it before a ${req.action}`, { holdId: hold.id });
    }
    const active = this.repos.commands.activeFor(req.meterId);
    if (active) {
      if (active.action === req.action) return active;
      const supersedable = active.state === 'queued'
        && (isRelay(active.action) === isRelay(req.action) || (active.action === 'disconnect' && req.action === 'keep-power'));
      if (!supersedable) {
        throw new AppError('CONFLICT', `meter ${req.meterId} has a ${active.action} command ${active.state} (${active.id}); try again when it finishes`, { commandId: active.id, inFlight: true });
      }
      this.repos.commands.finish(active.id, 'cancelled', 'superseded', at, `superseded by ${req.action}`);
      this.repos.journal.audit(req.actor, 'command-cancelled', req.meterId, { commandId: active.id, supersededBy: req.action, reason: req.reason }, at);
    }
    const id = randomUUID();
    const owned = this.owns(meter);
    const fence = this.fence(meter);
    const sent = startNow && !this.stopped && owned && this.queue.wouldStartNow(linkOf(meter), priorityOf(req.action, req.bulkId !== undefined))
      && (!fence || this.repos.leases.holdsAt(fence));
    try {
      this.repos.commands.insert({
        id, meterId: req.meterId, action: req.action, origin: req.origin, actor: req.actor, reason: req.reason,
        createdAt: at, expiresAt: req.expiresAt ?? at + this.options.commandExpiryMs, bulkId: req.bulkId ?? null,
        triggerAt: req.triggerAt ?? null,
      }, sent);
    } catch (err) {
      // Another daemon created a command for this meter since we looked (the unique index).
      if (!isActiveCommandConflict(err)) throw err;
      throw new AppError('CONFLICT', `meter ${req.meterId} already has a command in flight; try again when it finishes`, { inFlight: true });
    }
    if (sent) this.markedAtCreation.add(id);
    const detail = { commandId: id, action: req.action, origin: req.origin, reason: req.reason, bulkId: req.bulkId ?? null, triggerAt: req.triggerAt ?? null };
    this.repos.journal.audit(req.actor, `command-${req.action}`, req.meterId, detail, at);
    this.repos.journal.appendEvent('command-queued', meter.accountId, meter.id, detail, at);
    return this.repos.commands.get(id)!;
  }

  /** Starts a command unless it is running here already or its link is another daemon's. */
  private kick(command: CommandRow): boolean {
    if (this.stopped || this.queue.has(command.id)) return false;
    const meter = this.repos.meters.get(command.meterId);
    if (!meter || !this.owns(meter)) return false;
    this.queue.enqueue({
      id: command.id, link: linkOf(meter), priority: priorityOf(command.action, command.bulkId !== null),
      start: () => {
        const run = this.run(command.id).catch((err) => this.logger.error({ err, commandId: command.id }, 'command run failed'));
        this.runs.add(run);
        return run.finally(() => this.runs.delete(run));
      },
    });
    return true;
  }

  private async run(commandId: string): Promise<void> {
    let command = this.repos.commands.get(commandId);
    if (!command || this.stopped || (command.state !== 'queued' && command.state !== 'sent')) return;
    const meter = this.repos.meters.get(command.meterId)!;
    // The link's lease was lost while the command waited: its new owner runs it.
    if (!this.owns(meter)) {
      this.markedAtCreation.delete(commandId);
      return;
    }
    const executor = this.executors[meter.protocol];
    if (!executor) return this.finish(command, meter, 'failed', 'unsupported-protocol', `no relay executor for protocol ${meter.protocol}`);
    const target = targetOf(command.action);
    if (target.kind === 'keep-power' && (!executor.keepPower || !meter.supportsKeepPower)) {
      return this.finish(command, meter, 'failed', 'unsupported-action', `meter ${meter.id} (${meter.protocol}) does not take keep-power commands`);
    }
    let marked = this.markedAtCreation.delete(commandId);
    // Resumed after a restart with the command already sent: look before sending again.
    if (!marked && command.state === 'sent' && (await this.confirm(command, meter, executor, target, 1))) return;

    const confirmable = executor.canReadBack?.(meter) ?? true;
    /** The meter's refusal of the last send, if it refused it. */
    let refusal: Extract<SendResult, { accepted: false }> | null = null;
    let refusals = 0;
    while (!this.stopped) {
      // Lease lost: stop here and leave the command as it is; the new owner reads it back first.
      if (!this.owns(meter)) return;
      command = this.repos.commands.get(commandId)!;
      if (command.state !== 'queued' && command.state !== 'sent') return; // cancelled meanwhile
      if (this.now() >= command.expiresAt) return this.expire(command, meter);
      if (command.attempts >= this.options.maxAttempts && !marked) {
        if (refusal) return this.refused(command, meter, refusal, refusals);
        return this.finish(command, meter, 'failed', 'no-confirmation',
          `not confirmed after ${command.attempts} attempts${command.lastError ? `: ${command.lastError}` : ''}`);
      }
      if (marked) marked = false;
      else {
        const fence = this.fence(meter);
        if (!(await this.sentMarks.add({ id: commandId, fence }))) {
          // Another daemon holds the lease now: nothing goes out, the command stays for it.
          const current = fence && this.repos.commands.get(commandId);
          if (current && (current.state === 'queued' || current.state === 'sent')) {
            this.logger.warn({ commandId, meter: meter.id, bus: fence.busId, nodeId: fence.nodeId, epoch: fence.epoch },
              'command not sent: the bus lease is no longer held at this epoch');
          }
          return;
        }
      }
      const deadline = new Date(command.expiresAt);
      try {
        const result: SendResult = await within(target.kind === 'relay'
          ? executor.send(meter, command.action as 'disconnect' | 'reconnect', deadline)
          : executor.keepPower!(meter, target.on, deadline), command.expiresAt - this.now() + EXECUTOR_ANSWER_GRACE_MS, `${command.action} of meter ${meter.id}`);
        if (!result.accepted && result.impossible) return this.finish(command, meter, 'failed', result.outcome, result.message);
        // An answer that came with the command's expiry passed (a concentrator's missing ack) cannot be retried.
        if (!result.accepted && this.now() >= command.expiresAt) return this.finish(command, meter, 'failed', result.outcome, result.message);
        if (!result.accepted) {
          refusal = result;
          refusals++;
          // Under keep-power, or with keys the meter does not accept, the meter will refuse again:
          // an outcome, not a fault to retry.
          if (result.outcome === 'refused-keep-power' || result.final) return this.refused(command, meter, result, refusals);
          this.repos.commands.noteError(commandId, result.message, this.now());
          // Someone is without power: a person hears of a refused reconnect at once.
          if (command.action === 'reconnect' && refusals === 1) this.raiseRefusal(command, meter, result, refusals, false);
          await this.sleeper.sleep(Math.min(command.expiresAt - this.now(), (this.options.refusalBackoffMs ?? 15_000) * 2 ** (refusals - 1)));
          continue;
        }
        refusal = null;
        if (result.note) this.repos.commands.noteError(commandId, result.note, this.now());
      } catch (err) {
        // A lost reply does not mean a lost command: read back before sending again.
        this.repos.commands.noteError(commandId, (err as Error).message, this.now());
        if (!confirmable) return this.unconfirmable(command, meter, `no reply to the command (${(err as Error).message})`);
      }
      if (!confirmable) return this.unconfirmable(command, meter, 'accepted by the meter');
      if (await this.confirm(command, meter, executor, target, this.options.confirmTries ?? READBACKS_PER_ATTEMPT)) return;
    }
  }

  /** The meter refused every send (or refused under keep-power): refused with its reason, and a review item. */
  private refused(command: CommandRow, meter: MeterRow, refusal: Extract<SendResult, { accepted: false }>, refusals: number): void {
    const message = refusals > 1 ? `${refusal.message} (refused ${refusals} times)` : refusal.message;
    this.finish(command, meter, 'refused', refusal.outcome, message);
    // A trip refused under the meter's own keep-power has its review from the engine (meter-keep-power).
    if (refusal.outcome !== 'refused-keep-power' || command.action !== 'disconnect') this.raiseRefusal(command, meter, refusal, refusals, true);
  }

  private raiseRefusal(command: CommandRow, meter: MeterRow, refusal: Extract<SendResult, { accepted: false }>, refusals: number, final: boolean): void {
    const what = command.action === 'reconnect' ? 'supply is off: the meter refused the reconnect' : `the meter refused the ${command.action}`;
    this.reviews.raise({
      kind: 'command-refused', accountId: meter.accountId, meterId: meter.id,
      reason: `${what}${final ? '' : ' (sending again)'}: ${refusal.message}`,
      detail: { commandId: command.id, action: command.action, outcome: refusal.outcome, refusals },
    });
  }

  /** Sent to a meter that cannot show its relay state: never confirmed; a person looks. */
  private unconfirmable(command: CommandRow, meter: MeterRow, what: string): void {
    const reason = `meter ${meter.address} cannot show its relay state (no status word 3): the ${command.action} was sent, ${what}, but cannot be confirmed`;
    this.finish(command, meter, 'unconfirmable', 'unconfirmable', reason);
    this.reviews.raise({ kind: 'relay-unconfirmable', accountId: meter.accountId, meterId: meter.id, reason, detail: { commandId: command.id, action: command.action } });
  }

  /**
   * Reads the meter back until it shows the wanted state (→ confirmed), the expiry passes
   * (→ expired) or `tries` read-backs showed no progress (→ false: send again). A trip the meter
   * delays, or a close waiting for the customer's button, is progress: noted, and waited for.
   */
  private async confirm(command: CommandRow, meter: MeterRow, executor: RelayExecutor, target: Target, tries: number): Promise<boolean> {
    let misses = 0;
    while (misses < tries && !this.stopped && this.owns(meter)) {
      try {
        const rb = await within(executor.readBack(meter), Math.max(command.expiresAt - this.now(), this.options.confirmIntervalMs), `read-back of meter ${meter.id}`);
        if (this.stopped) return false;
        this.repos.meters.setRelayState(meter.id, rb.relay, this.now());
        if (reached(target, rb)) {
          this.finish(command, meter, 'confirmed', 'confirmed', undefined);
          return true;
        }
        const progress = progressOf(target, rb);
        if (progress) this.progress(command, meter, progress.outcome, progress.message);
        else misses++;
      } catch (err) {
        this.repos.commands.noteError(command.id, `read-back failed: ${(err as Error).message}`, this.now());
        misses++;
      }
      if (this.now() >= command.expiresAt) {
        this.expire(this.repos.commands.get(command.id) ?? command, meter);
        return true;
      }
      if (misses < tries && this.owns(meter)) await this.sleeper.sleep(this.options.confirmIntervalMs);
    }
    return false;
  }

  /** Notes an intermediate outcome once, with an event the first time (a customer may need to act). */
  private progress(command: CommandRow, meter: MeterRow, outcome: 'trip-delayed' | 'close-permitted', message: string): void {
    const current = this.repos.commands.get(command.id);
    if (!current || current.outcome === outcome) return;
    const at = this.now();
    this.repos.transaction(() => {
      this.repos.commands.noteOutcome(command.id, outcome, message, at);
      this.repos.journal.appendEvent(outcome, meter.accountId, meter.id, { commandId: command.id, action: command.action, message }, at);
    });
  }

  private expire(command: CommandRow, meter: MeterRow): void {
    const { outcome, message } = expiryOf(command);
    this.finish(command, meter, 'expired', outcome, message);
  }

  private finish(command: CommandRow, meter: MeterRow, state: Exclude<FinalCommandState, 'cancelled'>, outcome: CommandOutcome, error: string | undefined): void {
    const at = this.now();
    const changed = this.repos.transaction(() => {
      if (!this.repos.commands.finish(command.id, state, outcome, at, error)) return false;
      const type = state === 'confirmed' ? CONFIRMED_EVENT[command.action] : `command-${state}`;
      const detail = { commandId: command.id, action: command.action, outcome, error: error ?? null };
      this.repos.journal.appendEvent(type, meter.accountId, meter.id, detail, at);
      this.repos.journal.audit('feikong', `command-${state}`, meter.id, detail, at);
      // Supply restored: the warning before the cut-off is spent (docs/design.md "After a restore").
      if (state === 'confirmed' && command.action === 'reconnect') rearmAfterRestore(this.repos, meter.accountId, at);
      return true;
    });
    // Stored with the command: a restart, or another daemon running it, measures from the payment too.
    const triggerAt = command.triggerAt ?? command.createdAt;
    if (!changed) return;
    this.metrics.commandsTotal.inc({ action: command.action, state, outcome });
    if (state === 'confirmed' && isRelay(command.action)) {
      (command.action === 'reconnect' ? this.metrics.restoreLatency : this.metrics.cutoffLatency).observe((at - triggerAt) / 1000);
      this.events.emit('relay-state', meter.id, command.action === 'disconnect' ? 'open' : 'closed');
    }
    this.logger.info({ commandId: command.id, meter: meter.id, action: command.action, state, outcome, error }, 'command finished');
    this.events.emit('command-finished', command.id, meter.id);
  }
}
