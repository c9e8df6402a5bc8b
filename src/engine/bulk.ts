// Operator bulk disconnect / reconnect: a list of meters or a filter (accounts below a balance, a
// bus, a list of accounts) becomes one command per meter, created in one transaction with the
// operation, each with its own result; meters left alone are listed with why. A bulk disconnect
// skips protected customers, held supply points and accounts not warned (alarm level 2).
// Progress is read from the commands; cancelling cancels the ones still queued.
import { randomUUID } from 'node:crypto';
import type { Repositories, BulkRow, BulkSkip, CommandRow, SupplyPointRow } from '../db/repo/index.js';
import type { CommandState } from '../domain/codes.js';
import type { CommandService, CommandRequest } from '../commands/service.js';
import { AppError } from '../errors.js';
import { HoldIndex } from '../holds/hold-index.js';

export interface BulkRequest {
  action: 'disconnect' | 'reconnect';
  actor: string;
  reason: string;
  expiresAt?: number;
  meterIds?: string[];
  filter?: { accountIds?: string[]; busId?: string; balanceBelowFen?: number };
}

export interface BulkView extends BulkRow {
  progress: Record<CommandState | 'skipped', number>;
  results: Array<Pick<CommandRow, 'meterId' | 'state' | 'outcome' | 'lastError'> & { commandId: string }>;
}

export const MAX_BULK_METERS = 100_000;

export class BulkService {
  constructor(private readonly repos: Repositories, private readonly commands: CommandService, private readonly now: () => number) {}

  create(req: BulkRequest): BulkView {
    if (!req.meterIds && !req.filter) throw new AppError('VALIDATION', 'give meterIds or a filter', { field: 'body' });
    const at = this.now();
    const targets = this.repos.sweep.bulkTargets({ ...req.filter, ...(req.meterIds ? { meterIds: req.meterIds } : {}), limit: MAX_BULK_METERS + 1 });
    if (targets.length > MAX_BULK_METERS) throw new AppError('VALIDATION', `the selection has more than ${MAX_BULK_METERS} meters; narrow it`, { field: 'filter' });
    const skipped: BulkSkip[] = [];
    if (req.meterIds) {
      const found = new Set(targets.map((t) => t.meterId));
      for (const id of new Set(req.meterIds)) if (!found.has(id)) skipped.push({ meterId: id, skipped: 'meter does not exist or does not match the filter' });
    }
    const holds = new HoldIndex(this.repos.holds.inForce(at));
    const id = randomUUID();
    const requests: CommandRequest[] = [];
    for (const t of targets) {
      const why = this.skipReason(req.action, t, holds);
      if (why) skipped.push({ meterId: t.meterId, skipped: why });
      else requests.push({ meterId: t.meterId, action: req.action, origin: 'operator', actor: req.actor, reason: req.reason, bulkId: id, ...(req.expiresAt ? { expiresAt: req.expiresAt } : {}) });
    }
    this.commands.requestMany(requests, (results) => {
      for (const r of results) if (!r.ok) skipped.push({ meterId: r.meterId, skipped: r.error.message });
      const total = results.filter((r) => r.ok).length;
      this.repos.bulk.insert({ id, action: req.action, actor: req.actor, reason: req.reason, state: total === 0 ? 'finished' : 'running', total, skipped, createdAt: at });
      if (total === 0) this.repos.bulk.end(id, 'finished', at);
      this.repos.journal.audit(req.actor, `bulk-${req.action}`, id, { reason: req.reason, meterIds: req.meterIds ?? null, filter: req.filter ?? null, total, skipped: skipped.length }, at);
    });
    return this.view(id);
  }

  view(id: string): BulkView {
    const op = this.repos.bulk.get(id);
    if (!op) throw new AppError('NOT_FOUND', `bulk operation ${id} does not exist`);
    const counts = this.repos.commands.bulkCounts(id);
    const n = (s: string) => counts[s] ?? 0;
    return {
      ...op,
      progress: {
        queued: n('queued'), sent: n('sent'), confirmed: n('confirmed'), failed: n('failed'), expired: n('expired'), cancelled: n('cancelled'),
        refused: n('refused'), unconfirmable: n('unconfirmable'),
        skipped: op.skipped.length,
      },
      results: this.repos.commands.forBulk(id).map((c) => ({ commandId: c.id, meterId: c.meterId, state: c.state, outcome: c.outcome, lastError: c.lastError })),
    };
  }

  /** Cancels the operation's commands that are still queued; the ones already sent run to their end. */
  cancel(id: string, actor: string, reason: string): BulkView {
    const op = this.repos.bulk.get(id);
    if (!op) throw new AppError('NOT_FOUND', `bulk operation ${id} does not exist`);
    if (op.state !== 'running') throw new AppError('CONFLICT', `bulk operation ${id} is ${op.state}`);
    let cancelled = 0;
    for (const commandId of this.repos.commands.queuedOfBulk(id)) {
      try {
        this.commands.cancel(commandId, actor, `bulk operation ${id} cancelled: ${reason}`);
        cancelled++;
      } catch {
        // sent meanwhile: it runs to its end
      }
    }
    const at = this.now();
    this.repos.transaction(() => {
      this.repos.bulk.end(id, 'cancelled', at);
      this.repos.journal.audit(actor, 'bulk-cancelled', id, { reason, cancelled }, at);
    });
    return this.view(id);
  }

  /** Marks the operation finished once none of its commands is active any more. */
  settle(id: string): void {
    const counts = this.repos.commands.bulkCounts(id);
    if ((counts.queued ?? 0) + (counts.sent ?? 0) === 0) this.repos.bulk.end(id, 'finished', this.now());
  }

  settleAll(): void {
    for (const id of this.repos.bulk.runningIds()) this.settle(id);
  }

  private skipReason(action: BulkRequest['action'], t: SupplyPointRow, holds: HoldIndex): string | null {
    const held = holds.for(t.meterId, t.accountId);
    const active = this.repos.commands.activeFor(t.meterId);
    if (active && !(active.state === 'queued' && (active.action === 'disconnect' || active.action === 'reconnect'))) {
      return `a ${active.action} command is ${active.state} (${active.id})`;
    }
    if (action === 'disconnect') {
      if (t.protected === 1) return 'protected customer: never cut automatically or in bulk; review instead';
      const hold = held[0];
      if (hold) return `${hold.kind} hold ${hold.id} (${hold.actor}: ${hold.reason})`;
      if (t.alarm2At === null) return 'not warned: alarm level 2 has not been sent';
      if (t.relayState === 'open' && !active) return 'relay already open';
      return null;
    }
    const off = held.find((h) => h.kind === 'manual-off');
    if (off) return `manual-off hold ${off.id} (${off.actor}: ${off.reason}); release it to reconnect`;
    if (t.relayState === 'closed' && !active) return 'relay already closed';
    return null;
  }
}
