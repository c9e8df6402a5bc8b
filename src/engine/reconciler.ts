// The cut-off / restore engine: a reconciler. For an account it derives the desired relay state
// from balance, policy and holds (src/domain/policy.ts), compares it with the meter's last known
// state and asks the command lifecycle to converge them. It reacts at once to balance changes and
// sweeps every account periodically, so a restart or a lost event heals by itself.
import type { Logger } from 'pino';
import type { Repositories, AccountRow, MeterRow } from '../db/repo/index.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { Metrics } from '../metrics.js';
import type { CommandService } from '../commands/service.js';
import { decide, type Decision, type DecisionInput } from '../domain/policy.js';
import { noCutVerdict } from '../domain/calendar.js';

export interface Explanation extends Decision {
  accountId: string;
  meterId: string;
  input: DecisionInput;
}

const SWEEP_PAGE = 1000;

export class Engine {
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly pendingAccounts = new Set<string>();
  private flushScheduled = false;
  private stopped = false;

  constructor(
    private readonly repos: Repositories,
    private readonly commands: CommandService,
    private readonly events: EventBus,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly config: Config,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.unsubscribe.push(this.events.on('balance-changed', (accountId) => this.schedule(accountId)));
    this.unsubscribe.push(this.events.on('command-finished', (_commandId, meterId) => {
      const meter = this.repos.meters.get(meterId);
      if (meter) this.schedule(meter.accountId);
    }));
    const loop = () => {
      this.sweep();
      if (!this.stopped) this.sweepTimer = setTimeout(loop, this.config.engine.sweepIntervalMs);
    };
    this.sweepTimer = setTimeout(loop, 0);
  }

  stop(): void {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** Evaluates an account soon (coalescing bursts of events for the same account). */
  schedule(accountId: string): void {
    this.pendingAccounts.add(accountId);
    if (this.flushScheduled || this.stopped) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const ids = [...this.pendingAccounts];
      this.pendingAccounts.clear();
      for (const id of ids) this.evaluate(id);
    });
  }

  /** One pass over every account. */
  sweep(): number {
    let after = '';
    let count = 0;
    for (;;) {
      const ids = this.repos.accounts.idsAfter(after, SWEEP_PAGE);
      for (const id of ids) this.evaluate(id);
      count += ids.length;
      if (ids.length < SWEEP_PAGE) return count;
      after = ids[ids.length - 1]!;
    }
  }

  explain(accountId: string, at = this.now()): Explanation[] {
    const account = this.repos.accounts.get(accountId);
    if (!account) return [];
    return this.repos.meters.forAccount(accountId).map((meter) => {
      const input = this.inputFor(account, meter, at);
      return { accountId, meterId: meter.id, input, ...decide(input) };
    });
  }

  private inputFor(account: AccountRow, meter: MeterRow, at: number): DecisionInput {
    const pending = this.repos.commands.activeFor(meter.id);
    return {
      now: at,
      balanceFen: account.balanceFen,
      levels: account,
      protected: account.protected === 1,
      keepPowerHold: false,
      alarm2At: account.alarm2At,
      graceMs: this.config.engine.graceMs,
      noCut: noCutVerdict(at, this.config.engine.noCut, this.config.utcOffsetMinutes),
      relayState: meter.relayState,
      pendingAction: pending ? pending.action : null,
    };
  }

  evaluate(accountId: string): void {
    if (this.stopped) return;
    try {
      for (const explanation of this.explain(accountId)) this.act(explanation);
    } catch (err) {
      this.logger.error({ err, accountId }, 'engine evaluation failed');
    }
  }

  private act(e: Explanation): void {
    if (e.action === 'none') return;
    this.metrics.engineDecisions.inc({ action: e.action });
    if (e.action === 'review') {
      const account = this.repos.accounts.get(e.accountId)!;
      if (account.reviewAt !== null) return;
      const at = this.now();
      this.repos.transaction(() => {
        this.repos.accounts.setReviewAt(e.accountId, at);
        this.repos.journal.appendEvent('manual-review', e.accountId, e.meterId, { reason: e.reason, balanceFen: e.input.balanceFen }, at);
      });
      return;
    }
    const active = this.repos.commands.activeFor(e.meterId);
    if (active?.state === 'sent') return; // converge after it finishes
    this.logger.info({ account: e.accountId, meter: e.meterId, action: e.action, reason: e.reason }, 'engine decision');
    this.commands.request({ meterId: e.meterId, action: e.action, origin: 'engine', actor: 'engine', reason: e.reason });
  }
}
