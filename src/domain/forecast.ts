// The days-remaining forecast (可用天数): how long the account's money lasts before the cut-off
// level at its own recent rate of consumption. Pure; the ledger supplies the charges.

export const DAY_MS = 86_400_000;

/**
 * Average daily charge (fen/day) over a window ending now: the window is the last `windowDays`
 * days, shortened to the account's age for a young account (at least one day).
 */
export function averageDailyChargeFen(chargedFen: number, windowDays: number, accountCreatedAt: number, now: number): number {
  const windowStart = now - windowDays * DAY_MS;
  const spanMs = now - Math.max(windowStart, accountCreatedAt);
  const days = Math.max(1, spanMs / DAY_MS);
  return Math.max(0, chargedFen) / days;
}

/**
 * The average daily charge levels in days are turned into money at: the charges of the last
 * `windowDays` days over the window, shortened to the account's age for a young account — or null
 * when there is nothing to derive from: no consumption in the window (days of supply at zero
 * consumption are endless), or an account younger than `minHistoryDays` (one busy first hour is
 * not a rate). With null, the money levels apply (src/domain/level-derivation.ts).
 */
export function levelsAverageDailyChargeFen(chargedFen: number, windowDays: number, minHistoryDays: number, accountCreatedAt: number, now: number): number | null {
  if (!(chargedFen > 0)) return null;
  const ageDays = (now - accountCreatedAt) / DAY_MS;
  if (ageDays < minHistoryDays) return null;
  return chargedFen / Math.min(windowDays, ageDays);
}

/**
 * Days until the balance reaches the cut-off level at the average daily charge, to one decimal;
 * 0 when already at or below it; null when there is no consumption to extrapolate from.
 */
export function daysRemaining(balanceFen: number, cutoffLevelFen: number, averageDailyFen: number): number | null {
  if (!(averageDailyFen > 0)) return null;
  const days = (balanceFen - cutoffLevelFen) / averageDailyFen;
  return days <= 0 ? 0 : Math.floor(days * 10) / 10;
}

/** The instant the balance is expected to reach the cut-off level, or null (see `daysRemaining`). */
export function expectedCutoffAt(balanceFen: number, cutoffLevelFen: number, averageDailyFen: number, now: number): number | null {
  if (!(averageDailyFen > 0)) return null;
  const days = Math.max(0, (balanceFen - cutoffLevelFen) / averageDailyFen);
  return now + Math.round(days * DAY_MS);
}
