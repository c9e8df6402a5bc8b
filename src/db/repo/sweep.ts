// Set-based reads for the engine: one row per supply point (an account joined with one of its
// meters) carrying everything the decision needs, and only for the supply points that may need a
// command. The sweep walks the tables in rowid ranges so each step is bounded and the event loop
// gets a turn between them:
//
//   accounts (rowid lo..hi) ⋈ meters   where balance ≤ cut-off level and relay not open   → cut-off?
//   meters   (rowid lo..hi) ⋈ accounts where relay not closed and balance > restore level → restore?
//
// Everything else — the few meters with a hold or a command in flight — is fetched by id.
// Accounts a migration holds (src/migration-hold.ts) are left out until it is released.
// `needingAttention` applies the same two filters, plus "has a hold or a command in flight", to a
// given set of accounts: the engine uses it to skip, with one query, the accounts in a burst of
// balance changes that no decision could act on.
import type { Database } from '../database.js';
import { jsonValues, rowNumber } from '../dialect.js';
import type { RelayState } from './meters.js';
import { ACCOUNT_STATE } from './accounts.js';

export interface SupplyPointRow {
  accountId: string;
  balanceFen: number;
  alarmLevel1Fen: number;
  alarmLevel2Fen: number;
  cutoffLevelFen: number;
  restoreLevelFen: number;
  protected: number;
  creditGrade: string;
  alarmState: number;
  alarm2At: number | null;
  reviewAt: number | null;
  meterId: string;
  protocol: string;
  busId: string | null;
  concentratorId: string | null;
  supportsKeepPower: number;
  relayState: RelayState;
  relayStateAt: number | null;
  /** the migration holding the account (the engine leaves it alone until released), or null */
  migration?: string | null;
}

export interface BulkTargetFilter {
  meterIds?: string[];
  accountIds?: string[];
  busId?: string;
  /** accounts whose balance is below this, fen */
  balanceBelowFen?: number;
  limit: number;
}

const COLUMNS = `a.id AS "accountId", a.balance_fen AS "balanceFen", a.alarm_level1_fen AS "alarmLevel1Fen",
  a.alarm_level2_fen AS "alarmLevel2Fen", a.cutoff_level_fen AS "cutoffLevelFen", a.restore_level_fen AS "restoreLevelFen",
  a.protected, a.credit_grade AS "creditGrade", a.alarm_state AS "alarmState", a.alarm2_at AS "alarm2At", a.review_at AS "reviewAt",
  m.id AS "meterId", m.protocol, m.bus_id AS "busId", m.concentrator_id AS "concentratorId",
  m.supports_keep_power AS "supportsKeepPower", m.relay_state AS "relayState", m.relay_state_at AS "relayStateAt", a.migration`;

/** The supply state of an account's meter, as the engine sees it (feikong_supply_points_by_state). */
const STATE = `CASE WHEN m.id IS NULL THEN 'no-meter'
  WHEN m.relay_state = 'unknown' THEN 'relay-unknown'
  WHEN m.relay_state = 'open' AND a.balance_fen > a.restore_level_fen THEN 'awaiting-restore'
  WHEN m.relay_state = 'open' THEN 'cut-off'
  WHEN a.balance_fen <= a.cutoff_level_fen THEN 'in-arrears'
  WHEN a.alarm_state = 2 THEN 'alarm-level-2'
  WHEN a.alarm_state = 1 THEN 'alarm-level-1'
  ELSE 'in-credit' END`;

export function sweepRepository(db: Database) {
  const row = rowNumber(db);
  const maxAccountRowid = db.prepare(`SELECT COALESCE(MAX(${row}), 0) FROM accounts`).pluck();
  const maxMeterRowid = db.prepare(`SELECT COALESCE(MAX(${row}), 0) FROM meters`).pluck();
  const cutoffDue = db.prepare(`SELECT ${COLUMNS} FROM accounts a JOIN meters m ON m.account_id = a.id
    WHERE a.${row} BETWEEN ? AND ? AND a.balance_fen <= a.cutoff_level_fen AND m.relay_state <> 'open' AND a.migration IS NULL`);
  const restoreDue = db.prepare(`SELECT ${COLUMNS} FROM meters m JOIN accounts a ON a.id = m.account_id
    WHERE m.${row} BETWEEN ? AND ? AND m.relay_state <> 'closed' AND a.balance_fen > a.restore_level_fen AND a.migration IS NULL`);
  const byMeter = db.prepare(`SELECT ${COLUMNS} FROM meters m JOIN accounts a ON a.id = m.account_id WHERE m.id = ?`);
  const byAccount = db.prepare(`SELECT ${COLUMNS} FROM accounts a JOIN meters m ON m.account_id = a.id WHERE a.id = ? ORDER BY m.id`);
  const states = db.prepare(`SELECT ${STATE} AS state, COUNT(*) AS n FROM accounts a LEFT JOIN meters m ON m.account_id = a.id
    WHERE a.${row} BETWEEN ? AND ? GROUP BY 1`);
  const accountStates = db.prepare(`SELECT ${ACCOUNT_STATE} AS state, COUNT(*) AS n FROM accounts a WHERE a.${row} BETWEEN ? AND ? GROUP BY 1`);
  const attention = db.prepare(`SELECT DISTINCT a.id FROM ${jsonValues(db, '@ids')} j
    JOIN accounts a ON a.id = j.value JOIN meters m ON m.account_id = a.id
    WHERE a.migration IS NULL AND ((a.balance_fen <= a.cutoff_level_fen AND m.relay_state <> 'open')
      OR (m.relay_state <> 'closed' AND a.balance_fen > a.restore_level_fen)
      OR EXISTS (SELECT 1 FROM commands c WHERE c.meter_id = m.id AND c.state IN ('queued', 'sent'))
      OR EXISTS (SELECT 1 FROM holds h WHERE h.scope = 'meter' AND h.target_id = m.id
        AND h.released_at IS NULL AND (h.expires_at IS NULL OR h.expires_at > @at))
      OR EXISTS (SELECT 1 FROM holds h WHERE h.scope = 'account' AND h.target_id = a.id
        AND h.released_at IS NULL AND (h.expires_at IS NULL OR h.expires_at > @at)))`).pluck();
  const latestPayment = db.prepare(`SELECT MAX(created_at) FROM payments WHERE account_id = ? AND reversed_at IS NULL`).pluck();
  const targets = db.prepare(`SELECT ${COLUMNS} FROM meters m JOIN accounts a ON a.id = m.account_id
    WHERE (CAST(@busId AS text) IS NULL OR m.bus_id = @busId) AND (CAST(@below AS bigint) IS NULL OR a.balance_fen < @below)
      AND (CAST(@accounts AS text) IS NULL OR a.id IN (SELECT value FROM ${jsonValues(db, '@accounts')}))
      AND (CAST(@meters AS text) IS NULL OR m.id IN (SELECT value FROM ${jsonValues(db, '@meters')}))
    ORDER BY m.id LIMIT @limit`);

  return {
    maxAccountRowid(): number {
      return maxAccountRowid.get() as number;
    },
    maxMeterRowid(): number {
      return maxMeterRowid.get() as number;
    },
    /** Supply points of accounts with rowid in [lo, hi] at or below the cut-off level whose relay is not open. */
    cutoffDue(lo: number, hi: number): SupplyPointRow[] {
      return cutoffDue.all(lo, hi) as SupplyPointRow[];
    },
    /** Supply points of meters with rowid in [lo, hi] whose relay is not closed and whose account is above the restore level. */
    restoreDue(lo: number, hi: number): SupplyPointRow[] {
      return restoreDue.all(lo, hi) as SupplyPointRow[];
    },
    forMeter(meterId: string): SupplyPointRow | undefined {
      return byMeter.get(meterId) as SupplyPointRow | undefined;
    },
    forAccount(accountId: string): SupplyPointRow[] {
      return byAccount.all(accountId) as SupplyPointRow[];
    },
    /**
     * The accounts among `accountIds` with a supply point the sweep would evaluate at `at`: due a
     * cut-off or a restore by balance and relay state, or with a hold in force or a command in flight.
     */
    needingAttention(accountIds: string[], at: number): string[] {
      return attention.all({ ids: JSON.stringify(accountIds), at }) as string[];
    },
    /** Supply points of accounts with rowid in [lo, hi], counted by state (see STATE above), added into `into`. */
    countByState(lo: number, hi: number, into: Record<string, number>): Record<string, number> {
      for (const r of states.all(lo, hi) as Array<{ state: string; n: number }>) into[r.state] = (into[r.state] ?? 0) + r.n;
      return into;
    },
    /** Accounts in the rowid range by their state as the API and the console name it, each once, added to `into`. */
    countAccountsByState(lo: number, hi: number, into: Record<string, number>): Record<string, number> {
      for (const r of accountStates.all(lo, hi) as Array<{ state: string; n: number }>) into[r.state] = (into[r.state] ?? 0) + r.n;
      return into;
    },
    /** When the account's latest payment that still stands was committed, or null. */
    latestPaymentAt(accountId: string): number | null {
      return (latestPayment.get(accountId) as number | null) ?? null;
    },
    /** Supply points an operator's bulk command selects (every given criterion must hold). */
    bulkTargets(filter: BulkTargetFilter): SupplyPointRow[] {
      return targets.all({
        busId: filter.busId ?? null, below: filter.balanceBelowFen ?? null,
        accounts: filter.accountIds ? JSON.stringify(filter.accountIds) : null,
        meters: filter.meterIds ? JSON.stringify(filter.meterIds) : null, limit: filter.limit,
      }) as SupplyPointRow[];
    },
  };
}

export type SweepRepository = ReturnType<typeof sweepRepository>;
