// The bus leases this daemon keeps (docs/scale.md "Several daemons"). Every renew interval
// (leaseMs / 3) it takes or renews the lease of every configured bus with one conditional upsert
// (src/db/repo/leases.ts). A lease it holds is used only until its local deadline — when that
// renewal started, plus leaseMs, minus a margin of leaseMs / 5, on the monotonic clock — so a
// daemon that cannot renew in time (stalled, or the database unreachable) stops using the bus
// before another daemon can take it. Leases are released on stop. A lease whose holder is a
// process of this host that is gone (a default node id, src/cluster/node-id.ts) is taken at once.
//
//   tick ─▶ acquire(bus) ─┬─ written ─▶ held until start + leaseMs − margin ─▶ onAcquired (new, or a new epoch)
//                         └─ another node holds it ─▶ onLost (if it was held here)
//   the local deadline passes without a renewal ─▶ onLost
import type { Logger } from 'pino';
import type { BusLeaseRow, LeaseFence, LeasesRepository } from '../db/repo/leases.js';
import { isGoneLocalProcess } from './node-id.js';

export { defaultNodeId } from './node-id.js';

export interface LeaseKeeperOptions {
  nodeId: string;
  leaseMs: number;
  /** every bus whose lease this daemon keeps */
  busIds: readonly string[];
  /** wall clock for the expiry times in the database (default Date.now) */
  now?: () => number;
  /** monotonic clock for this daemon's own deadlines (default performance.now) */
  monotonic?: () => number;
}

export interface LeaseHandlers {
  /** The lease of `busId` was taken (at start, after a takeover, or back after a loss). */
  onAcquired(busId: string, lease: BusLeaseRow): void;
  /** The lease of `busId` may no longer be used: stop using the bus now. */
  onLost(busId: string, why: string): void;
}

interface Held {
  epoch: number;
  /** monotonic time until which the bus may be used */
  until: number;
  deadline: NodeJS.Timeout;
}

export class LeaseKeeper {
  readonly nodeId: string;
  readonly leaseMs: number;
  /** pause between renewals */
  readonly renewEveryMs: number;
  /** a held lease is used until this long before it expires */
  readonly marginMs: number;
  private readonly busIds: ReadonlySet<string>;
  private readonly now: () => number;
  private readonly monotonic: () => number;
  private readonly held = new Map<string, Held>();
  private handlers: LeaseHandlers = { onAcquired: () => {}, onLost: () => {} };
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly repo: LeasesRepository, options: LeaseKeeperOptions, private readonly logger: Logger) {
    this.nodeId = options.nodeId;
    this.leaseMs = options.leaseMs;
    this.renewEveryMs = Math.max(1, Math.floor(options.leaseMs / 3));
    this.marginMs = Math.ceil(options.leaseMs / 5);
    this.busIds = new Set(options.busIds);
    this.now = options.now ?? Date.now;
    this.monotonic = options.monotonic ?? (() => performance.now());
  }

  /** Takes every lease it can at once (handlers are called before this returns), then keeps them. */
  start(handlers: LeaseHandlers): void {
    if (this.timer || this.stopped) return;
    this.handlers = handlers;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.renewEveryMs);
    this.timer.unref();
  }

  /** Whether the bus's lease is kept by this keeper at all (a configured bus). */
  covers(busId: string): boolean {
    return this.busIds.has(busId);
  }

  /** Whether this daemon may use the bus now: it holds the lease and its local deadline is ahead. */
  holds(busId: string): boolean {
    const h = this.held.get(busId);
    return h !== undefined && this.monotonic() < h.until;
  }

  /** The epoch of the lease held on the bus, or undefined. */
  epochOf(busId: string): number | undefined {
    return this.holds(busId) ? this.held.get(busId)!.epoch : undefined;
  }

  /**
   * The fence a 'sent' mark on the bus must pass (src/db/repo/commands.ts): this node at the epoch
   * the lease was taken with; epoch 0, which no lease has, when it is not held. Null for a bus this
   * keeper does not look after.
   */
  fenceOf(busId: string): LeaseFence | null {
    if (!this.covers(busId)) return null;
    return { busId, nodeId: this.nodeId, epoch: this.epochOf(busId) ?? 0 };
  }

  /** Buses whose lease is held now. */
  heldBusIds(): string[] {
    return [...this.held.keys()].filter((id) => this.holds(id));
  }

  /** Every bus this keeper looks after. */
  allBusIds(): string[] {
    return [...this.busIds];
  }

  /** Stops renewing and releases the leases held, so another daemon can take them at once. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const at = this.now();
    for (const [busId, h] of this.held) {
      clearTimeout(h.deadline);
      try {
        if (this.repo.release(busId, this.nodeId, at)) this.logger.info({ bus: busId, nodeId: this.nodeId, epoch: h.epoch }, 'bus lease released');
      } catch (err) {
        this.logger.warn({ err, bus: busId }, 'bus lease not released; it expires by itself');
      }
    }
    this.held.clear();
  }

  /** One round: take or renew the lease of every bus. */
  tick(): void {
    for (const busId of this.busIds) {
      if (this.stopped) return;
      this.renew(busId);
    }
  }

  private renew(busId: string): void {
    const startedAt = this.monotonic();
    const at = this.now();
    let lease: BusLeaseRow | undefined;
    try {
      lease = this.repo.acquire(busId, this.nodeId, at, at + this.leaseMs);
      if (!lease && !this.held.has(busId)) lease = this.fromGoneProcess(busId, at);
    } catch (err) {
      // The deadline timer ends the use of the bus if this goes on.
      this.logger.warn({ err, bus: busId }, 'bus lease not renewed');
      return;
    }
    const was = this.held.get(busId);
    if (!lease) {
      if (was) this.lose(busId, `taken by ${this.repo.get(busId)?.nodeId ?? 'another daemon'}`);
      return;
    }
    if (was && was.epoch !== lease.epoch) this.lose(busId, `lease epoch moved from ${was.epoch} to ${lease.epoch}`);
    const until = startedAt + this.leaseMs - this.marginMs;
    if (until <= this.monotonic()) {
      // Written, but too late to use (the statement waited on a busy database): the next round renews it.
      if (this.held.has(busId)) this.lose(busId, 'renewal came too late');
      return;
    }
    const current = this.held.get(busId);
    if (current) {
      clearTimeout(current.deadline);
      current.until = until;
      current.deadline = this.arm(busId, until);
      return;
    }
    this.held.set(busId, { epoch: lease.epoch, until, deadline: this.arm(busId, until) });
    this.logger.info({ bus: busId, nodeId: this.nodeId, epoch: lease.epoch }, 'bus lease taken');
    this.handlers.onAcquired(busId, lease);
  }

  /** Takes the lease from its holder when that is a process of this host that no longer exists. */
  private fromGoneProcess(busId: string, at: number): BusLeaseRow | undefined {
    const holder = this.repo.get(busId);
    if (!holder || holder.expiresAt <= at || !isGoneLocalProcess(holder.nodeId)) return undefined;
    const lease = this.repo.takeFrom(busId, holder.nodeId, this.nodeId, at, at + this.leaseMs);
    if (lease) this.logger.info({ bus: busId, from: holder.nodeId }, 'bus lease taken from a process of this host that is gone');
    return lease;
  }

  private arm(busId: string, until: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const h = this.held.get(busId);
      if (!h || this.stopped) return;
      if (this.holds(busId)) h.deadline = this.arm(busId, h.until);
      else this.lose(busId, `not renewed within ${this.leaseMs - this.marginMs} ms`);
    }, Math.max(1, Math.ceil(until - this.monotonic())));
    timer.unref();
    return timer;
  }

  private lose(busId: string, why: string): void {
    const h = this.held.get(busId);
    if (!h) return;
    clearTimeout(h.deadline);
    this.held.delete(busId);
    this.logger.warn({ bus: busId, nodeId: this.nodeId, epoch: h.epoch, why }, 'bus lease lost');
    this.handlers.onLost(busId, why);
  }
}
