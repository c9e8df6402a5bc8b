// The cut-off / restore engine: a reconciler. For every supply point it derives the desired relay
// state from balance, policy and holds (src/domain/policy.ts), compares it with the meter's last
// known state and asks the command lifecycle to converge them. It reacts at once to balance
// changes and relay read-backs, and sweeps every account periodically — set-based, acting only on
// the few that need it — so a restart, a lost command or a missed event heals by itself.
//
//   'balance-changed' ──▶ needingAttention ─┐                  ┌─▶ commands (one transaction per batch)
//   'relay-state', 'command-finished',      ├─▶ evaluate(account) ┼─▶ review items (protected, relay fault)
//    holds, operator requests ──────────────┘                  │
//   sweep timer ──────────────▶ scan(due ones) ────────────────┴─▶ flapping guard (keep-power hold)
//
// A burst of balance changes (a batch of readings, a tick of payments) is first narrowed with one
// query to the accounts the sweep would look at (due by balance and relay, or with a hold or a
// command in flight); the others cannot lead to any action, so they are not evaluated one by one.
// Everything else that schedules an account (a relay read-back, a finished command, a hold, an
// operator) evaluates it in full, with the read-back check.
import type { Logger } from 'pino';
import type { Repositories } from '../db/repo/index.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { Metrics } from '../metrics.js';
import type { CommandService } from '../commands/service.js';
import { noCutVerdict } from '../domain/calendar.js';
import { CalendarService } from '../calendar/service.js';
import { HoldService } from '../holds/service.js';
import { HoldIndex } from '../holds/hold-index.js';
import { evaluateSupplyPoint, withFaultCheck, type DecisionContext, type Evaluation } from './evaluate.js';
import { scanSupplyPoints } from './scan.js';
import { EngineActions } from './actions.js';
import { ReviewService } from './reviews.js';
import { BulkService } from './bulk.js';
import { graceMsOf } from './grace.js';
import { ACCOUNT_STATES } from '../db/repo/accounts.js';
import { refreshLevels } from '../ledger/levels.js';

export interface SweepStats {
  evaluated: number;
  commands: number;
  reviews: number;
  ms: number;
}

export interface DryRunResult {
  at: number;
  evaluated: number;
  cut: Evaluation[];
  restore: Evaluation[];
  review: Evaluation[];
  /** due a cut-off by balance but held back, counted by rule */
  heldBack: Record<string, number>;
}

/** rowids per sweep step: bounds how long one step holds the event loop */
/** What the by-state gauges show: accounts by their state, supply points by the engine's. */
export interface StateCounts {
  accounts: Record<string, number>;
  supplyPoints: Record<string, number>;
}

const SWEEP_CHUNK = 25_000;
/** supply points acted on per transaction in a sweep */
const ACT_BATCH = 2_000;

export class Engine {
  readonly holds: HoldService;
  readonly reviews: ReviewService;
  readonly bulk: BulkService;
  /** the no-cut calendar's public holidays: operators' schedules, the library's, derived ones */
  readonly calendar: CalendarService;
  private readonly actions: EngineActions;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: Array<() => void> = [];
  /** accounts whose balance changed: evaluated if `needingAttention` says so */
  private readonly pendingAccounts = new Set<string>();
  /** accounts to evaluate in full whatever their balance */
  private readonly pendingFull = new Set<string>();
  /** meters whose relay state changed: their accounts are evaluated in full */
  private readonly pendingMeters = new Set<string>();
  private flushScheduled = false;
  private stopped = false;
  private sweeping: Promise<SweepStats> | null = null;
  /** calendar notices already logged */
  private readonly noticesLogged = new Set<string>();
  private stateCache: { at: number; counts: StateCounts } | null = null;
  private counting: Promise<StateCounts> | null = null;
  private maySweep: () => boolean = () => true;

  constructor(
    private readonly repos: Repositories,
    private readonly commands: CommandService,
    private readonly events: EventBus,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly config: Config,
    private readonly now: () => number = Date.now,
  ) {
    this.reviews = new ReviewService(repos, now);
    this.holds = new HoldService(repos, commands, logger.child({ component: 'holds' }), now);
    this.bulk = new BulkService(repos, commands, now);
    this.calendar = new CalendarService(repos, config, logger.child({ component: 'calendar' }), now);
    this.calendar.refresh(); // evaluations before start() judge by the entered schedules too
    this.actions = new EngineActions(repos, commands, this.reviews, this.holds, metrics, logger, { flapHoldMs: config.engine.safety.flapHoldMs, retryBackoffMs: config.engine.retryBackoffMs }, now);
    this.holds.setOnChange((accountIds) => accountIds.forEach((id) => this.schedule(id)));
  }

  /**
   * Whether the periodic sweep runs in this daemon now (with several daemons on one database, only
   * in the holder of the sweep lease; evaluations on events run in every daemon).
   */
  setSweepGate(gate: () => boolean): void {
    this.maySweep = gate;
  }

  start(): void {
    this.stopped = false;
    this.checkCalendar();
    this.metrics.watchAccountStates(() => this.stateCounts().then((c) => c.accounts));
    this.metrics.watchSupplyPointStates(() => this.stateCounts().then((c) => c.supplyPoints));
    this.unsubscribe.push(this.events.on('balance-changed', (accountId) => this.scheduleBalanceChange(accountId)));
    this.unsubscribe.push(this.events.on('relay-state', (meterId) => {
      this.pendingMeters.add(meterId);
      this.scheduleFlush();
    }));
    this.unsubscribe.push(this.events.on('command-finished', (commandId) => this.onCommandFinished(commandId)));
    const loop = () => {
      // Every daemon follows the holiday schedules, whether or not it runs the sweep.
      if (!this.maySweep()) this.checkCalendar();
      (this.maySweep() ? this.sweep() : Promise.resolve(null))
        .catch((err) => this.logger.error({ err }, 'engine sweep failed'))
        .finally(() => {
          if (!this.stopped) this.sweepTimer = setTimeout(loop, this.config.engine.sweepIntervalMs);
        });
    };
    this.sweepTimer = setTimeout(loop, 0);
  }

  stop(): void {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** Evaluates an account soon, in full (coalescing bursts of events for the same account). */
  schedule(accountId: string): void {
    this.pendingFull.add(accountId);
    this.scheduleFlush();
  }

  /** Looks at an account soon after its balance changed: evaluated only if something may be due. */
  scheduleBalanceChange(accountId: string): void {
    this.pendingAccounts.add(accountId);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.stopped) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushPending();
    });
  }

  private flushPending(): void {
    if (this.stopped) return;
    const full = new Set(this.pendingFull);
    for (const meterId of this.pendingMeters) {
      const meter = this.repos.meters.get(meterId);
      if (meter) full.add(meter.accountId);
    }
    const changed = [...this.pendingAccounts].filter((id) => !full.has(id));
    this.pendingFull.clear();
    this.pendingMeters.clear();
    this.pendingAccounts.clear();
    let due: string[] = [];
    if (changed.length > 0) {
      try {
        due = this.repos.sweep.needingAttention(changed, this.now());
      } catch (err) {
        this.logger.error({ err }, 'engine pre-filter failed; evaluating every changed account');
        due = changed;
      }
    }
    for (const id of full) this.evaluate(id);
    for (const id of due) this.evaluate(id);
  }

  /** Evaluates one account's supply points now and acts on what they need. */
  evaluate(accountId: string): void {
    if (this.stopped) return;
    try {
      // Full inputs only where something looks due; a read-back that contradicts the last
      // confirmed command is looked for on every evaluation (polls emit one when the relay moves).
      const ctx = this.context(this.now());
      const evaluateAll = () => this.repos.sweep.forAccount(accountId)
        .filter((row) => !row.migration) // held by a migration until released
        .map((row) => withFaultCheck(evaluateSupplyPoint(row, ctx, this.repos, this.config.engine.safety), this.repos));
      let evaluations = evaluateAll();
      if (this.levelsMoved(evaluations, ctx.now).size > 0) evaluations = evaluateAll();
      if (evaluations.length > 0) this.actions.apply(evaluations);
    } catch (err) {
      this.logger.error({ err, accountId }, 'engine evaluation failed');
    }
  }

  /** One pass over every account; concurrent callers share the pass in progress. */
  sweep(): Promise<SweepStats> {
    this.sweeping ??= this.runSweep().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  /** What a sweep at `at` would do, without doing any of it. */
  async dryRun(at: number): Promise<DryRunResult> {
    const index = new HoldIndex(this.repos.holds.inForce(at));
    const active = new Map(this.repos.commands.allActive().map((c) => [c.meterId, c]));
    const out: DryRunResult = { at, evaluated: 0, cut: [], restore: [], review: [], heldBack: {} };
    out.evaluated = await scanSupplyPoints(this.repos, this.context(at, index, active), this.config.engine.safety,
      { chunk: SWEEP_CHUNK, meterIds: [...index.meterIds, ...active.keys()], accountIds: index.accountIds, enrich: true },
      (evaluations) => {
        for (const ev of evaluations) {
          const { action, rule } = ev.decision;
          if (action === 'disconnect') out.cut.push(ev);
          else if (action === 'reconnect') out.restore.push(ev);
          else if (action === 'review') out.review.push(ev);
          else if (ev.row.balanceFen <= ev.row.cutoffLevelFen && ev.row.relayState !== 'open') out.heldBack[rule] = (out.heldBack[rule] ?? 0) + 1;
        }
      });
    return out;
  }

  /** The full evaluation of every meter of an account (inputs, decision, relay safety). */
  explain(accountId: string, at = this.now()): Evaluation[] {
    const ctx = this.context(at);
    return this.repos.sweep.forAccount(accountId).map((row) => evaluateSupplyPoint(row, ctx, this.repos, this.config.engine.safety, true));
  }

  explainMeter(meterId: string, at = this.now()): Evaluation | undefined {
    const row = this.repos.sweep.forMeter(meterId);
    return row ? evaluateSupplyPoint(row, this.context(at), this.repos, this.config.engine.safety, true) : undefined;
  }

  /**
   * Accounts by state (as the API and the console name them, each account once) and supply points
   * by the engine's finer state: the last count while it is younger than `accountStatesMaxAgeMs`,
   * else a recount in rowid ranges that yields between them like the sweep (scrapes share it).
   */
  stateCounts(): Promise<StateCounts> {
    if (this.stateCache && Date.now() - this.stateCache.at < this.config.engine.accountStatesMaxAgeMs) return Promise.resolve(this.stateCache.counts);
    this.counting ??= (async () => {
      const counts: StateCounts = { accounts: Object.fromEntries(ACCOUNT_STATES.map((state) => [state, 0])), supplyPoints: {} };
      const max = this.repos.sweep.maxAccountRowid();
      for (let lo = 1; lo <= max; lo += SWEEP_CHUNK) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.repos.sweep.countAccountsByState(lo, lo + SWEEP_CHUNK - 1, counts.accounts);
        this.repos.sweep.countByState(lo, lo + SWEEP_CHUNK - 1, counts.supplyPoints);
      }
      this.stateCache = { at: Date.now(), counts };
      return counts;
    })().finally(() => {
      this.counting = null;
    });
    return this.counting;
  }

  private async runSweep(): Promise<SweepStats> {
    const t0 = performance.now();
    const at = this.now();
    this.checkCalendar();
    this.holds.releaseLapsed();
    this.holds.reconcileMirrors(this.config.engine.safety.failureBackoffMs);
    this.bulk.settleAll();
    const index = new HoldIndex(this.repos.holds.inForce(at));
    const active = new Map(this.repos.commands.allActive().map((c) => [c.meterId, c]));
    const stats: SweepStats = { evaluated: 0, commands: 0, reviews: 0, ms: 0 };
    // Supply points that need something are collected and acted on in batches (one transaction
    // each), each re-evaluated from fresh rows first: the scan yields between steps, and a
    // payment or a read-back may have changed things since it looked.
    let due: string[] = [];
    const flush = () => {
      const ids = due;
      due = [];
      if (ids.length === 0 || this.stopped) return;
      const ctx = this.context(this.now());
      const evaluateMeter = (id: string) => {
        const row = this.repos.sweep.forMeter(id);
        return row ? evaluateSupplyPoint(row, ctx, this.repos, this.config.engine.safety) : undefined;
      };
      let fresh = ids.map(evaluateMeter).filter((ev): ev is Evaluation => ev !== undefined);
      const moved = this.levelsMoved(fresh, ctx.now);
      if (moved.size > 0) fresh = fresh.map((ev) => (moved.has(ev.row.accountId) ? evaluateMeter(ev.row.meterId) : ev)).filter((ev): ev is Evaluation => ev !== undefined);
      const done = this.actions.apply(fresh);
      stats.commands += done.commands;
      stats.reviews += done.reviews;
    };
    stats.evaluated = await scanSupplyPoints(this.repos, this.context(at, index, active), this.config.engine.safety,
      { chunk: SWEEP_CHUNK, meterIds: [...index.meterIds, ...active.keys()], accountIds: index.accountIds, enrich: false },
      (evaluations) => {
        for (const ev of evaluations) if (ev.decision.action !== 'none') due.push(ev.row.meterId);
        if (due.length >= ACT_BATCH) flush();
      });
    flush();
    stats.ms = performance.now() - t0;
    this.metrics.engineSweepSeconds.observe(stats.ms / 1000);
    this.logger.debug(stats, 'engine sweep done');
    return stats;
  }

  /**
   * The decision context at `at`. A sweep passes in-memory indexes of holds and active commands
   * (read once); a single evaluation reads them per meter. Commands are read live either way,
   * so a command created earlier in the same sweep is seen.
   */
  private context(at: number, index?: HoldIndex, active?: Map<string, unknown>): DecisionContext {
    return {
      now: at,
      utcOffsetMinutes: this.config.utcOffsetMinutes,
      noCut: noCutVerdict(at, this.config.engine.noCut, this.config.utcOffsetMinutes, this.calendar.current),
      graceMsOf: (grade) => graceMsOf(grade, this.config),
      holdsFor: index ? (m, a) => index.for(m, a) : (m, a) => this.repos.holds.inForceFor(m, a, at),
      activeFor: active ? (m) => (active.has(m) ? this.repos.commands.activeFor(m) : undefined) : (m) => this.repos.commands.activeFor(m),
    };
  }

  /**
   * A cut-off, or the review in its place, is decided on levels derived now: the levels of the
   * accounts it is due for are derived again first (levels in days follow consumption and time;
   * the refresher's last pass may be an interval old). Returns the accounts whose levels moved;
   * their evaluations are stale.
   */
  private levelsMoved(evaluations: Evaluation[], at: number): Set<string> {
    const moved = new Set<string>();
    const due = new Set(evaluations.filter((ev) => ev.decision.action === 'disconnect' || ev.decision.action === 'review').map((ev) => ev.row.accountId));
    for (const accountId of due) {
      try {
        if (refreshLevels(this.repos, accountId, this.config, at)) moved.add(accountId);
      } catch (err) {
        this.logger.warn({ err, accountId }, 'levels could not be derived before a cut-off; the stored ones stand');
      }
    }
    return moved;
  }

  private onCommandFinished(commandId: string): void {
    const command = this.repos.commands.get(commandId);
    if (!command) return;
    if (command.bulkId) this.bulk.settle(command.bulkId);
    const meter = this.repos.meters.get(command.meterId);
    if (!meter) return;
    if (command.outcome === 'refused-keep-power' && command.action === 'disconnect') {
      this.reviews.raise({
        kind: 'meter-keep-power', accountId: meter.accountId, meterId: meter.id,
        reason: `meter refused a trip under its own keep-power${command.lastError ? `: ${command.lastError}` : ''}`,
      });
    }
    // A confirmed command may leave the next step due (e.g. a restore after a cut-off); a failed
    // one is retried by the next sweep, not at once, so a dead meter is not hammered.
    if (command.state === 'confirmed') this.schedule(meter.accountId);
  }

  /**
   * Reloads the holiday schedules if operators changed them, and warns once about each year
   * without its official schedule (the current one; from 1 November the next one too).
   */
  private checkCalendar(): void {
    this.calendar.refresh();
    for (const notice of this.calendar.notices()) {
      const key = `${notice.year}:${notice.source}`;
      if (this.noticesLogged.has(key)) continue;
      this.noticesLogged.add(key);
      this.logger.warn({ year: notice.year, source: notice.source }, notice.message);
    }
  }
}
