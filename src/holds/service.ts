// Holds: keep-power (保电, supply may not be cut) and manual-off (supply stays off whatever the
// balance), placed by an operator — or by the relay-safety guard — on meters or whole accounts,
// each with actor, reason and an optional expiry; released by an operator or by their expiry.
//
//   place ─▶ holds row + audit + event ─┬─ keep-power: cancel queued disconnects; mirror 3A to capable meters
//                                       └─ manual-off: the engine re-evaluates (and disconnects)
//   release / expiry ─┬─ keep-power: mirror 3B where no other keep-power hold covers the meter
//                     └─ manual-off: reconnect where no other manual-off covers it and the balance is above the cut-off level
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Repositories, HoldRow, HoldKind, HoldScope, MeterRow } from '../db/repo/index.js';
import type { HoldFilter } from '../db/repo/holds.js';
import type { CommandService } from '../commands/service.js';
import { AppError } from '../errors.js';
import { mirrorKeepPower } from './mirror.js';

export interface PlaceHoldRequest {
  kind: HoldKind;
  scope: HoldScope;
  targetIds: string[];
  actor: string;
  reason: string;
  expiresAt: number | null;
}

const MAX_TARGETS = 1000;
const OPPOSITE: Record<HoldKind, HoldKind> = { 'keep-power': 'manual-off', 'manual-off': 'keep-power' };

export class HoldService {
  private onChange: (accountIds: string[]) => void = () => {};

  constructor(
    private readonly repos: Repositories,
    private readonly commands: CommandService,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  /** Called with the accounts whose holds changed (the engine re-evaluates them). */
  setOnChange(fn: (accountIds: string[]) => void): void {
    this.onChange = fn;
  }

  get(id: string): HoldRow {
    const hold = this.repos.holds.get(id);
    if (!hold) throw new AppError('NOT_FOUND', `hold ${id} does not exist`);
    return hold;
  }

  list(filter: HoldFilter): HoldRow[] {
    return this.repos.holds.list(filter);
  }

  /** Meters a hold covers. */
  metersOf(hold: Pick<HoldRow, 'scope' | 'targetId'>): MeterRow[] {
    if (hold.scope === 'account') return this.repos.meters.forAccount(hold.targetId);
    const meter = this.repos.meters.get(hold.targetId);
    return meter ? [meter] : [];
  }

  place(req: PlaceHoldRequest): HoldRow[] {
    const at = this.now();
    const targets = [...new Set(req.targetIds)];
    if (targets.length === 0 || targets.length > MAX_TARGETS) throw new AppError('VALIDATION', `targetIds: between 1 and ${MAX_TARGETS} ids`, { field: 'targetIds' });
    if (req.expiresAt !== null && req.expiresAt <= at) throw new AppError('VALIDATION', 'expiresAt: must be in the future', { field: 'expiresAt' });
    const placed = this.repos.transaction(() => targets.map((targetId) => {
      const accountId = this.accountOf(req.scope, targetId);
      const covering = req.scope === 'meter' ? this.repos.holds.inForceFor(targetId, accountId, at) : this.repos.holds.inForceForAccount(targetId, at);
      const clash = covering.find((h) => h.kind === OPPOSITE[req.kind]);
      if (clash) {
        throw new AppError('CONFLICT', `${req.scope} ${targetId} is under a ${clash.kind} hold (${clash.id}, ${clash.actor}: ${clash.reason}); release it first`, { holdId: clash.id });
      }
      const hold: HoldRow = { id: randomUUID(), kind: req.kind, scope: req.scope, targetId, actor: req.actor, reason: req.reason, createdAt: at, expiresAt: req.expiresAt, releasedAt: null, releasedBy: null };
      this.repos.holds.insert(hold);
      const detail = { holdId: hold.id, kind: hold.kind, scope: hold.scope, reason: hold.reason, expiresAt: hold.expiresAt };
      this.repos.journal.audit(req.actor, 'hold-placed', targetId, detail, at);
      this.repos.journal.appendEvent('hold-placed', accountId, req.scope === 'meter' ? targetId : null, detail, at);
      return hold;
    }));
    for (const hold of placed) this.afterPlace(hold);
    this.onChange([...new Set(placed.map((h) => this.accountOf(h.scope, h.targetId)))]);
    return placed;
  }

  release(id: string, actor: string, reason: string): HoldRow {
    const at = this.now();
    const hold = this.repos.transaction(() => {
      const current = this.get(id);
      if (!this.repos.holds.release(id, actor, at)) throw new AppError('CONFLICT', `hold ${id} was already released by ${current.releasedBy ?? '?'}`);
      const detail = { holdId: id, kind: current.kind, scope: current.scope, reason };
      this.repos.journal.audit(actor, 'hold-released', current.targetId, detail, at);
      this.repos.journal.appendEvent('hold-released', this.accountOf(current.scope, current.targetId), current.scope === 'meter' ? current.targetId : null, detail, at);
      return this.repos.holds.get(id)!;
    });
    this.afterRelease(hold, actor);
    this.onChange([this.accountOf(hold.scope, hold.targetId)]);
    return hold;
  }

  /** Marks holds past their expiry as released ('expiry') and acts on them; returns how many. */
  releaseLapsed(): number {
    let n = 0;
    for (const hold of this.repos.holds.lapsed(this.now())) {
      try {
        this.release(hold.id, 'expiry', `expired at ${new Date(hold.expiresAt!).toISOString()}`);
        n++;
      } catch (err) {
        this.logger.warn({ err, holdId: hold.id }, 'releasing an expired hold failed');
      }
    }
    return n;
  }

  /** Sends whatever keep-power mirroring is missing (a conflict earlier, a failed 3A / 3B to retry). */
  reconcileMirrors(failureBackoffMs: number): void {
    mirrorKeepPower(this.repos, this.commands, this.logger, this.now(), failureBackoffMs);
  }

  private accountOf(scope: HoldScope, targetId: string): string {
    if (scope === 'account') {
      if (!this.repos.accounts.get(targetId)) throw new AppError('ACCOUNT_NOT_FOUND', `account ${targetId} does not exist`, { targetId });
      return targetId;
    }
    const meter = this.repos.meters.get(targetId);
    if (!meter) throw new AppError('METER_NOT_FOUND', `meter ${targetId} does not exist`, { targetId });
    return meter.accountId;
  }

  private afterPlace(hold: HoldRow): void {
    if (hold.kind !== 'keep-power') return;
    for (const meter of this.metersOf(hold)) {
      const active = this.repos.commands.activeFor(meter.id);
      if (active?.action === 'disconnect' && active.state === 'queued') this.tryCancel(active.id, hold);
      if (this.commands.keepPowerCapable(meter)) this.tryRequest(meter, 'keep-power', hold.actor, `keep-power hold ${hold.id}: ${hold.reason}`);
    }
  }

  private afterRelease(hold: HoldRow, actor: string): void {
    const at = this.now();
    for (const meter of this.metersOf(hold)) {
      const still = this.repos.holds.inForceFor(meter.id, meter.accountId, at).some((h) => h.kind === hold.kind);
      if (still) continue;
      if (hold.kind === 'keep-power') {
        if (this.commands.keepPowerCapable(meter)) this.tryRequest(meter, 'keep-power-release', actor, `keep-power hold ${hold.id} released`);
        continue;
      }
      const account = this.repos.accounts.get(meter.accountId);
      if (meter.relayState !== 'closed' && account && account.balanceFen > account.cutoffLevelFen) {
        this.tryRequest(meter, 'reconnect', actor, `manual-off hold ${hold.id} released`);
      }
    }
  }

  private tryRequest(meter: MeterRow, action: 'keep-power' | 'keep-power-release' | 'reconnect', actor: string, reason: string): void {
    try {
      this.commands.request({ meterId: meter.id, action, origin: 'hold', actor, reason });
    } catch (err) {
      // A command in flight: the sweep's reconciliation (or the engine) converges it afterwards.
      this.logger.info({ meter: meter.id, action, err: (err as Error).message }, 'hold follow-up command deferred');
    }
  }

  private tryCancel(commandId: string, hold: HoldRow): void {
    try {
      this.commands.cancel(commandId, hold.actor, `keep-power hold ${hold.id} placed`);
    } catch (err) {
      this.logger.info({ commandId, err: (err as Error).message }, 'queued disconnect could not be cancelled');
    }
  }
}
