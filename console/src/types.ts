// The shapes of the API answers the console reads (see the OpenAPI document at /docs).
export type AccountState = 'normal' | 'alarm-1' | 'alarm-2' | 'cut-off' | 'review';

export interface Meter {
  id: string;
  accountId: string;
  protocol: string;
  busId: string | null;
  address: string;
  supportsDirectClose: boolean;
  relayState: 'open' | 'closed' | 'unknown';
  relayStateAt: string | null;
  online: boolean;
  lastReadingAt: string | null;
  lastEnergyWh: number | null;
  /** the latest disagreement of its per-tariff registers with its total register */
  registerMismatch?: { from: string; to: string; totalWh: number; bandsWh: number; differenceWh: number; toleranceWh: number } | null;
  edition?: '2007' | '1997' | 'auto';
  profile?: string | null;
  /** one meter only */
  profileInUse?: string | null;
  live?: Record<string, { value: number; unit: string; at: string }>;
  dataIdentifiers?: Array<{ di: string; answeredAt: string | null; lastValue: unknown; misses: number; missedAt: string | null; missReason: string | null }>;
}

export interface Account {
  id: string;
  name: string;
  category: string;
  creditGrade: string;
  protected: boolean;
  balanceFen: number;
  alarmLevel1Fen: number;
  alarmLevel2Fen: number;
  cutoffLevelFen: number;
  restoreLevelFen: number;
  alarmState: number;
  state?: AccountState;
  daysRemaining?: number | null;
  meters: Meter[];
}

export interface Command {
  id: string;
  meterId: string;
  action: string;
  state: string;
  origin: string;
  actor: string;
  reason: string;
  outcome: string | null;
  lastError: string | null;
  /** the error of an earlier attempt, kept apart (a confirmed command has no lastError) */
  lastAttemptError?: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** One part of a consumption entry (docs/charging.md). */
export interface ChargePart {
  periodStart: string;
  periodEnd: string;
  tariffId: string;
  tier?: number;
  band?: string;
  pricePerKwh: string;
  energyWh: number;
  amountFen: number;
  basis: 'measured' | 'estimated';
}

export interface LedgerEntry {
  id: number;
  kind: string;
  amountFen: number;
  balanceAfterFen: number;
  energyWh?: number | null;
  interval?: { from: string; to: string } | null;
  breakdown?: ChargePart[] | null;
  reason: string | null;
  actor: string;
  createdAt: string;
}

/** The engine's decision for one meter (GET /v1/accounts/{id}/why, /v1/meters/{id}/why). */
export interface Decision {
  meterId: string;
  action: string;
  desired: string;
  reason: string;
  rule?: string;
  /** the code of `reason`; the console shows the reason from it in the current language */
  reasonCode?: string;
  balanceFen?: number;
  levels?: { alarmLevel1Fen: number; alarmLevel2Fen: number; cutoffLevelFen: number; restoreLevelFen: number };
  relay?: { state: string; at: string | null };
  window?: { noCut: boolean; reason: string | null };
  graceMs?: number;
  lastWarning?: { alarmLevel2At: string | null; graceEndsAt: string | null };
  pendingCommand?: { action: string } | null;
  operator?: { lastRelayCommand: { createdAt: string | null } | null };
  relaySafety?: { limit: string | null; operationsLast24h: number; switchingsInWindow: number; nextAllowedAt: string | null } | null;
  trace?: Array<{ code?: string; check: string; passed: boolean; detail: string }>;
}

export interface Collection {
  since: string;
  total: { polls: number; succeeded: number; successRate: number | null; meters: number; online: number };
  buses: Array<{ busId: string; polls: number; succeeded: number; successRate: number | null; meters: number; online: number }>;
}

export interface Hold {
  id: string;
  kind: string;
  scope: string;
  targetId: string;
  actor: string;
  reason: string;
  createdAt: string;
  expiresAt: string | null;
}
