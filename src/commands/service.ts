// The durable command lifecycle: queued → sent → confirmed | failed | expired | cancelled.
// A command is confirmed only by the meter's own relay state read back after it was sent; never
// two commands in flight for one meter (a unique index says so); on restart, active commands are
// re-checked by reading the relay before anything is sent again.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Repositories, CommandRow, CommandAction, MeterRow } from '../db/repo/index.js';
import type { EventBus } from '../events.js';
import type { Metrics } from '../metrics.js';
import { AppError } from '../errors.js';
import type { RelayExecutor } from './executor.js';

export interface CommandOptions {
  commandExpiryMs: number;
  confirmIntervalMs: number;
  maxAttempts: number;
}

export interface CommandRequest {
  meterId: string;
  action: CommandAction;
  origin: 'engine' | 'operator';
  actor: string;
  reason: string;
  expiresAt?: number;
}

/** How many read-backs after one send before the command is sent again. */
const READBACKS_PER_ATTEMPT = 5;

export class CommandService {
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly repos: Repositories,
    private readonly executors: Record<string, RelayExecutor>,
    private readonly events: EventBus,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: CommandOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a command (or returns the equivalent one already active) and starts it. */
  request(req: CommandRequest): CommandRow {
    const meter = this.repos.meters.get(req.meterId);
    if (!meter) throw new AppError('METER_NOT_FOUND', `meter ${req.meterId} does not exist`);
    const at = this.now();
    const command = this.repos.transaction(() => {
      const active = this.repos.commands.activeFor(req.meterId);
      if (active) {
        if (active.action === req.action) return active;
        if (active.state === 'queued') {
          this.repos.commands.finish(active.id, 'cancelled', `superseded by ${req.action}`, at);
          this.repos.journal.audit(req.actor, 'command-cancelled', active.id, { supersededBy: req.action, reason: req.reason }, at);
        } else {
          throw new AppError('CONFLICT', `meter ${req.meterId} has a ${active.action} command in flight (${active.id}); try again when it finishes`, { commandId: active.id });
        }
      }
      const id = randomUUID();
      this.repos.commands.insert({
        id, meterId: req.meterId, action: req.action, origin: req.origin, actor: req.actor, reason: req.reason,
        createdAt: at, expiresAt: req.expiresAt ?? at + this.options.commandExpiryMs,
      });
      this.repos.journal.audit(req.actor, `command-${req.action}`, req.meterId, { commandId: id, origin: req.origin, reason: req.reason }, at);
      this.repos.journal.appendEvent('command-queued', meter.accountId, meter.id, { commandId: id, action: req.action, origin: req.origin, reason: req.reason }, at);
      return this.repos.commands.get(id)!;
    });
    this.kick(command.id);
    return command;
  }

  /** Resumes every active command after a restart. */
  resumeAll(): void {
    for (const command of this.repos.commands.allActive()) this.kick(command.id);
  }

  cancel(commandId: string, actor: string, reason: string): CommandRow {
    const command = this.repos.commands.get(commandId);
    if (!command) throw new AppError('COMMAND_NOT_FOUND', `command ${commandId} does not exist`);
    if (command.state !== 'queued') throw new AppError('CONFLICT', `command ${commandId} is ${command.state}; only queued commands can be cancelled`);
    const at = this.now();
    this.repos.transaction(() => {
      this.repos.commands.finish(commandId, 'cancelled', 'cancelled', at);
      this.repos.journal.audit(actor, 'command-cancelled', commandId, { reason }, at);
    });
    return this.repos.commands.get(commandId)!;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.wakers) wake();
    await Promise.allSettled(this.running.values());
  }

  get inFlight(): number {
    return this.running.size;
  }

  private kick(commandId: string): void {
    if (this.running.has(commandId) || this.stopped) return;
    const run = this.run(commandId)
      .catch((err) => this.logger.error({ err, commandId }, 'command run failed'))
      .finally(() => this.running.delete(commandId));
    this.running.set(commandId, run);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private async run(commandId: string): Promise<void> {
    let command = this.repos.commands.get(commandId);
    if (!command) return;
    const meter = this.repos.meters.get(command.meterId)!;
    const executor = this.executors[meter.protocol];
    if (!executor) {
      this.finish(command, meter, 'failed', 'unsupported-protocol', `no relay executor for protocol ${meter.protocol}`);
      return;
    }
    const wanted = command.action === 'disconnect' ? 'open' : 'closed';
    // Resumed after a restart with the command already sent: look before sending again.
    if (command.state === 'sent' && (await this.confirmed(command, meter, executor, wanted, 1))) return;

    while (!this.stopped) {
      command = this.repos.commands.get(commandId)!;
      if (command.state !== 'queued' && command.state !== 'sent') return; // cancelled meanwhile
      if (this.now() >= command.expiresAt) {
        this.finish(command, meter, 'expired', 'expired', `not confirmed before ${new Date(command.expiresAt).toISOString()}`);
        return;
      }
      if (command.attempts >= this.options.maxAttempts) {
        this.finish(command, meter, 'failed', 'no-confirmation', `relay not confirmed ${wanted} after ${command.attempts} attempts${command.lastError ? `: ${command.lastError}` : ''}`);
        return;
      }
      this.repos.commands.markSent(commandId, this.now());
      try {
        const result = await executor.send(meter, command.action, new Date(command.expiresAt));
        if (!result.accepted) {
          this.finish(command, meter, 'failed', result.outcome, result.message);
          return;
        }
        if (result.note) this.repos.commands.noteError(commandId, result.note, this.now());
      } catch (err) {
        // A lost reply does not mean a lost command: read back before sending again.
        this.repos.commands.noteError(commandId, (err as Error).message, this.now());
      }
      if (await this.confirmed(command, meter, executor, wanted, READBACKS_PER_ATTEMPT)) return;
    }
  }

  /** Reads the relay back up to `tries` times; finishes the command when it shows the wanted state. */
  private async confirmed(command: CommandRow, meter: MeterRow, executor: RelayExecutor, wanted: 'open' | 'closed', tries: number): Promise<boolean> {
    for (let i = 0; i < tries && !this.stopped; i++) {
      try {
        const state = await executor.readBack(meter);
        this.repos.meters.setRelayState(meter.id, state.relay, this.now());
        if (state.relay === wanted) {
          this.finish(command, meter, 'confirmed', 'confirmed', undefined);
          return true;
        }
        if (wanted === 'closed' && state.closePermitted) {
          this.repos.commands.noteError(command.id, 'close permitted: waiting for the customer to press the meter button', this.now());
        } else if (wanted === 'open' && state.tripPending) {
          this.repos.commands.noteError(command.id, 'accepted but trip delayed by the meter', this.now());
          i--; // a delayed trip is progress, not a failed read-back; the expiry still bounds it
        }
      } catch (err) {
        this.repos.commands.noteError(command.id, `read-back failed: ${(err as Error).message}`, this.now());
      }
      if (this.now() >= command.expiresAt) return false;
      await this.sleep(this.options.confirmIntervalMs);
    }
    return false;
  }

  private finish(command: CommandRow, meter: MeterRow, state: 'confirmed' | 'failed' | 'expired', outcome: string, error: string | undefined): void {
    const at = this.now();
    const changed = this.repos.transaction(() => {
      if (!this.repos.commands.finish(command.id, state, outcome, at, error)) return false;
      const type = state === 'confirmed' ? (command.action === 'disconnect' ? 'disconnected' : 'reconnected') : `command-${state}`;
      this.repos.journal.appendEvent(type, meter.accountId, meter.id, { commandId: command.id, action: command.action, outcome, error: error ?? null }, at);
      this.repos.journal.audit('feikong', `command-${state}`, command.id, { meterId: meter.id, outcome, error: error ?? null }, at);
      return true;
    });
    if (!changed) return;
    this.metrics.commandsTotal.inc({ action: command.action, state, outcome });
    if (state === 'confirmed') {
      const seconds = (at - command.createdAt) / 1000;
      (command.action === 'reconnect' ? this.metrics.restoreLatency : this.metrics.cutoffLatency).observe(seconds);
      this.events.emit('relay-state', meter.id, command.action === 'disconnect' ? 'open' : 'closed');
    }
    this.logger.info({ commandId: command.id, meter: meter.id, action: command.action, state, outcome, error }, 'command finished');
    this.events.emit('command-finished', command.id, meter.id);
  }
}
