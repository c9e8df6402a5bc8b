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
  createdAt: string;
  finishedAt: string | null;
}

export interface LedgerEntry {
  id: number;
  kind: string;
  amountFen: number;
  balanceAfterFen: number;
  reason: string | null;
  actor: string;
  createdAt: string;
}

export interface Decision {
  meterId: string;
  action: string;
  desired: string;
  reason: string;
  rule?: string;
  trace?: Array<{ check: string; passed: boolean; detail: string }>;
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
