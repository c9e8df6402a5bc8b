// An account's levels, derived from their inputs (src/domain/level-derivation.ts) and cached on the
// account row, where the engine reads them. They are derived again whenever an input changes: the
// account's category, credit grade or overrides (src/fleet.ts, at once), its recent consumption
// (levels set in days follow it: the refresher, periodically, and the engine before a cut-off),
// the configuration (the refresher's pass at start). Where a level moves, the alarm state follows
// with its events, and a protected-arrears review that no longer applies closes, in the same
// transaction. Also the days-remaining forecast.
import type { Logger } from 'pino';
import type { Repositories, AccountRow } from '../db/repo/index.js';
import type { Config } from '../config/schema.js';
import {
  LEVEL_NAMES, levelSettings, parseLevelOverrides, resolveLevels, usesDays, type Levels, type LevelName, type LevelOverrides, type ResolvedLevel,
} from '../domain/thresholds.js';
import { DAY_MS, averageDailyChargeFen, daysRemaining, expectedCutoffAt, levelsAverageDailyChargeFen } from '../domain/forecast.js';
import { arrearsReviewLapse, closeArrearsReview } from '../engine/reviews.js';
import { evaluateAlarms } from './ledger.js';

export const LEVEL_COLUMN: Record<LevelName, keyof Levels> = {
  alarmLevel1: 'alarmLevel1Fen', alarmLevel2: 'alarmLevel2Fen', cutoffLevel: 'cutoffLevelFen', restoreLevel: 'restoreLevelFen',
};

/** Average daily consumption charge over the configured window (fen/day, fractional): the forecast's rate. */
export function averageDailyCharge(repos: Repositories, account: AccountRow, config: Config, now: number): number {
  const windowDays = config.ledger.consumptionWindowDays;
  const charged = repos.ledger.consumptionChargedSince(account.id, now - windowDays * DAY_MS);
  return averageDailyChargeFen(charged, windowDays, account.createdAt, now);
}

/** The average levels in days become money at; null without consumption or enough history. */
export function levelsAverage(repos: Repositories, account: AccountRow, config: Config, now: number): number | null {
  const windowDays = config.ledger.consumptionWindowDays;
  const charged = repos.ledger.consumptionChargedSince(account.id, now - windowDays * DAY_MS);
  return levelsAverageDailyChargeFen(charged, windowDays, config.ledger.levelsMinHistoryDays, account.createdAt, now);
}

/** The account's levels as its inputs give them now, and the average days were turned into money at. */
export function derivedLevels(repos: Repositories, account: AccountRow, config: Config, now: number, overrides = parseLevelOverrides(account.levelOverrides)) {
  const base = { category: account.category, creditGrade: account.creditGrade, overrides };
  const average = usesDays(base, config) ? levelsAverage(repos, account, config, now) : null;
  return { ...resolveLevels({ ...base, averageDailyChargeFen: average }, config), average };
}

const sameLevels = (a: Levels, b: Levels) => LEVEL_NAMES.every((n) => a[LEVEL_COLUMN[n]] === b[LEVEL_COLUMN[n]]);

/**
 * A row from before levels were derived may hold money levels set on it directly, recorded nowhere
 * else: each money level (one no setting in days can move) that differs from its derivation is
 * kept as the account's own override. Returns the overrides to derive with.
 */
function adoptStoredLevels(repos: Repositories, account: AccountRow, config: Config, now: number): LevelOverrides {
  const overrides = parseLevelOverrides(account.levelOverrides);
  const settings = levelSettings({ category: account.category, creditGrade: account.creditGrade, overrides }, config);
  const { levels } = resolveLevels({ category: account.category, creditGrade: account.creditGrade, overrides, averageDailyChargeFen: null }, config);
  const adopted: LevelOverrides = {};
  for (const name of LEVEL_NAMES) {
    const stored = account[LEVEL_COLUMN[name]];
    if (overrides[name] || settings[name].some(([spec]) => 'days' in spec) || stored === levels[LEVEL_COLUMN[name]]) continue;
    adopted[name] = { fen: stored };
  }
  if (Object.keys(adopted).length === 0) return overrides;
  const next = { ...overrides, ...adopted };
  repos.accounts.setLevelOverrides(account.id, JSON.stringify(next));
  repos.journal.audit('feikong', 'level-overrides-adopted', account.id, { adopted }, now);
  return next;
}

/**
 * Derives the account's levels from its inputs and stores them if they moved: the alarm state
 * follows (a level newly reached is raised once, one left behind re-armed) and a protected-arrears
 * review that no longer applies closes. In the caller's transaction; true when a level moved.
 */
export function deriveLevels(repos: Repositories, account: AccountRow, config: Config, now: number): boolean {
  const overrides = account.levelsDerivedAt === null ? adoptStoredLevels(repos, account, config, now) : parseLevelOverrides(account.levelOverrides);
  const { levels, average } = derivedLevels(repos, account, config, now, overrides);
  const moved = !sameLevels(levels, account);
  if (!moved && account.levelsDerivedAt !== null) return false;
  repos.accounts.setLevels(account.id, levels, now);
  if (!moved) return false;
  repos.journal.appendEvent('levels-changed', account.id, null, { ...levels, averageDailyChargeFen: average === null ? null : Math.round(average) }, now);
  evaluateAlarms(repos, account, levels, account.balanceFen, now);
  if (account.reviewAt !== null) {
    const lapse = arrearsReviewLapse(account, levels.cutoffLevelFen);
    if (lapse) closeArrearsReview(repos, account.id, lapse, now);
  }
  return true;
}

/** `deriveLevels` for an account by id, in its own transaction. */
export function refreshLevels(repos: Repositories, accountId: string, config: Config, now: number): boolean {
  return repos.transaction(() => {
    const account = repos.accounts.get(accountId);
    return account ? deriveLevels(repos, account, config, now) : false;
  });
}

export interface Thresholds {
  /** the forecast's rate: the window's charges per day (the window shortened to the account's age) */
  averageDailyChargeFen: number;
  /** the rate levels in days are derived at; null without consumption or enough history */
  levelsAverageDailyChargeFen: number | null;
  daysRemaining: number | null;
  expectedCutoffAt: number | null;
  /** each level as the engine uses it, what decided it and who set that */
  levels: Record<LevelName, ResolvedLevel>;
}

/** The account's levels with their origin, and the forecast, for the account view. */
export function thresholdsOf(repos: Repositories, account: AccountRow, config: Config, now: number): Thresholds {
  const daily = averageDailyCharge(repos, account, config, now);
  const { detail, average } = derivedLevels(repos, account, config, now);
  const levels = {} as Record<LevelName, ResolvedLevel>;
  // What the engine acts on is the row (put in order); the derivation says where it came from.
  for (const name of LEVEL_NAMES) levels[name] = { ...detail[name], fen: account[LEVEL_COLUMN[name]] };
  return {
    averageDailyChargeFen: Math.round(daily),
    levelsAverageDailyChargeFen: average === null ? null : Math.round(average),
    daysRemaining: daysRemaining(account.balanceFen, account.cutoffLevelFen, daily),
    expectedCutoffAt: expectedCutoffAt(account.balanceFen, account.cutoffLevelFen, daily, now),
    levels,
  };
}

const PAGE = 500;

/**
 * Derives every account's levels again, periodically: levels set in days follow consumption and
 * time, and the first pass after a start applies a changed configuration (categories, credit
 * grades, defaults) to every account.
 */
export class LevelsRefresher {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly repos: Repositories, private readonly config: Config, private readonly logger: Logger, private readonly now: () => number = Date.now) {}

  start(): void {
    const loop = async () => {
      try {
        const changed = await this.sweep();
        if (changed > 0) this.logger.info({ changed }, 'levels derived again');
      } catch (err) {
        this.logger.error({ err }, 'levels refresh failed');
      }
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.config.ledger.levelsRefreshIntervalMs);
    };
    this.timer = setTimeout(() => void loop(), 0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * One pass; returns how many accounts' levels moved. An account whose levels are all in money and
   * whose row matches its derivation costs no query; the others are derived in a transaction each.
   * Yields to the event loop after every page, so a pass over a million accounts never holds up
   * start-up or requests.
   */
  async sweep(): Promise<number> {
    let after = '';
    let changed = 0;
    for (;;) {
      const page = this.repos.accounts.levelInputsAfter(after, PAGE);
      const now = this.now();
      for (const a of page) {
        if (this.stopped) return changed;
        let overrides;
        try {
          overrides = parseLevelOverrides(a.levelOverrides);
        } catch (err) {
          this.logger.warn({ account: a.id, err: (err as Error).message }, 'level overrides unreadable; left alone');
          continue;
        }
        const inputs = { category: a.category, creditGrade: a.creditGrade, overrides };
        const moves = usesDays(inputs, this.config) || !sameLevels(resolveLevels({ ...inputs, averageDailyChargeFen: null }, this.config).levels, a);
        if (moves && refreshLevels(this.repos, a.id, this.config, now)) changed++;
      }
      if (page.length > 0 && page.some((a) => a.levelsDerivedAt === null)) {
        // Rows from before levels were derived whose levels matched: derived as they are.
        this.repos.transaction(() => this.repos.accounts.markLevelsDerived(after, page[page.length - 1]!.id, now));
      }
      if (page.length < PAGE) return changed;
      after = page[page.length - 1]!.id;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
