// An account's levels as money, from days of supply at its own recent consumption ("根据实际用电
// 情况测算阀值"), and the days-remaining forecast. The levels the engine acts on are the cached
// columns of the account row; levels set in days move with consumption, so a refresher recomputes
// them periodically (and the alarm state follows, with its events, in the same transaction).
// Levels set in money are left as they are on the row.
import type { Logger } from 'pino';
import type { Repositories, AccountRow } from '../db/repo/index.js';
import type { Config } from '../config/schema.js';
import { LEVEL_NAMES, parseLevelOverrides, resolveLevels, usesDays, type Levels, type LevelName, type ResolvedLevel } from '../domain/thresholds.js';
import { DAY_MS, averageDailyChargeFen, daysRemaining, expectedCutoffAt } from '../domain/forecast.js';
import { evaluateAlarms } from './ledger.js';

const COLUMN: Record<LevelName, keyof Levels> = {
  alarmLevel1: 'alarmLevel1Fen', alarmLevel2: 'alarmLevel2Fen', cutoffLevel: 'cutoffLevelFen', restoreLevel: 'restoreLevelFen',
};

/** Average daily consumption charge over the configured window (fen/day, fractional). */
export function averageDailyCharge(repos: Repositories, account: AccountRow, config: Config, now: number): number {
  const windowDays = config.ledger.consumptionWindowDays;
  const charged = repos.ledger.consumptionChargedSince(account.id, now - windowDays * DAY_MS);
  return averageDailyChargeFen(charged, windowDays, account.createdAt, now);
}

export interface Thresholds {
  averageDailyChargeFen: number;
  daysRemaining: number | null;
  expectedCutoffAt: number | null;
  /** each level as the engine uses it, with what it was set in and where that came from */
  levels: Record<LevelName, ResolvedLevel>;
}

/** The account's levels with their origin, and the forecast, for the account view. */
export function thresholdsOf(repos: Repositories, account: AccountRow, config: Config, now: number): Thresholds {
  const daily = averageDailyCharge(repos, account, config, now);
  const { detail } = resolveLevels({
    category: account.category, creditGrade: account.creditGrade, overrides: parseLevelOverrides(account.levelOverrides), averageDailyChargeFen: daily,
  }, config);
  const levels = {} as Record<LevelName, ResolvedLevel>;
  for (const name of LEVEL_NAMES) {
    const fen = account[COLUMN[name]];
    const d = detail[name];
    // The row is what the engine acts on; a money level changed on the row since is the account's own.
    levels[name] = 'days' in d.spec || d.fen === fen ? { ...d, fen } : { fen, spec: { fen }, source: 'override' };
  }
  return {
    averageDailyChargeFen: Math.round(daily),
    daysRemaining: daysRemaining(account.balanceFen, account.cutoffLevelFen, daily),
    expectedCutoffAt: expectedCutoffAt(account.balanceFen, account.cutoffLevelFen, daily, now),
    levels,
  };
}

/**
 * Recomputes the levels of an account set in days and stores them; the alarm state follows.
 * Returns true when a level changed. Runs in its own transaction.
 */
export function refreshLevels(repos: Repositories, accountId: string, config: Config, now: number): boolean {
  return repos.transaction(() => {
    const account = repos.accounts.get(accountId);
    if (!account) return false;
    const daily = averageDailyCharge(repos, account, config, now);
    if (!(daily > 0)) return false;
    const overrides = parseLevelOverrides(account.levelOverrides);
    const { detail } = resolveLevels({ category: account.category, creditGrade: account.creditGrade, overrides, averageDailyChargeFen: daily }, config);
    const next: Levels = { alarmLevel1Fen: account.alarmLevel1Fen, alarmLevel2Fen: account.alarmLevel2Fen, cutoffLevelFen: account.cutoffLevelFen, restoreLevelFen: account.restoreLevelFen };
    for (const name of LEVEL_NAMES) if ('days' in detail[name].spec) next[COLUMN[name]] = detail[name].fen;
    next.alarmLevel2Fen = Math.max(next.alarmLevel2Fen, next.cutoffLevelFen);
    next.alarmLevel1Fen = Math.max(next.alarmLevel1Fen, next.alarmLevel2Fen);
    next.restoreLevelFen = Math.max(next.restoreLevelFen, next.cutoffLevelFen);
    if (LEVEL_NAMES.every((n) => next[COLUMN[n]] === account[COLUMN[n]])) return false;
    repos.accounts.setLevels(accountId, next);
    repos.journal.appendEvent('levels-changed', accountId, null, { ...next, averageDailyChargeFen: Math.round(daily) }, now);
    evaluateAlarms(repos, account, next, account.balanceFen, now);
    return true;
  });
}

const PAGE = 500;

/** Recomputes levels set in days for every account that has any, periodically. */
export class LevelsRefresher {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly repos: Repositories, private readonly config: Config, private readonly logger: Logger, private readonly now: () => number = Date.now) {}

  start(): void {
    const loop = async () => {
      try {
        const changed = await this.sweep();
        if (changed > 0) this.logger.info({ changed }, 'levels set in days recomputed');
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
   * One pass; returns how many accounts' levels changed. Yields to the event loop after every
   * page, so a pass over a million accounts never holds up start-up or requests.
   */
  async sweep(): Promise<number> {
    let after = '';
    let changed = 0;
    for (;;) {
      const page = this.repos.accounts.levelInputsAfter(after, PAGE);
      for (const a of page) {
        if (this.stopped) return changed;
        let overrides;
        try {
          overrides = parseLevelOverrides(a.levelOverrides);
        } catch (err) {
          this.logger.warn({ account: a.id, err: (err as Error).message }, 'level overrides unreadable; left alone');
          continue;
        }
        if (usesDays({ category: a.category, overrides }, this.config) && refreshLevels(this.repos, a.id, this.config, this.now())) changed++;
      }
      if (page.length < PAGE) return changed;
      after = page[page.length - 1]!.id;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
