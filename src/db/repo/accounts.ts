// Repository functions for accounts and tariffs: prepared statements on the hot paths.
import type { Database } from '../database.js';
import { jsonValues } from '../dialect.js';

export interface AccountRow {
  id: string;
  name: string;
  category: string;
  creditGrade: string;
  protected: number;
  tariffId: string;
  balanceFen: number;
  alarmLevel1Fen: number;
  alarmLevel2Fen: number;
  cutoffLevelFen: number;
  restoreLevelFen: number;
  alarmState: number;
  alarm2At: number | null;
  reviewAt: number | null;
  levelOverrides: string | null;
  /** when the levels were last derived from their inputs; null on a row from before they were */
  levelsDerivedAt: number | null;
  emergencyCreditFen: number;
  lastPaymentAt: number | null;
  createdAt: number;
  /** the migration holding the account's alarms and the engine, until released */
  migration?: string | null;
}

const ACCOUNT_COLUMNS = `id, name, category, credit_grade AS "creditGrade", protected, tariff_id AS "tariffId",
  balance_fen AS "balanceFen", alarm_level1_fen AS "alarmLevel1Fen", alarm_level2_fen AS "alarmLevel2Fen",
  cutoff_level_fen AS "cutoffLevelFen", restore_level_fen AS "restoreLevelFen", alarm_state AS "alarmState",
  alarm2_at AS "alarm2At", review_at AS "reviewAt", level_overrides AS "levelOverrides",
  levels_derived_at AS "levelsDerivedAt", emergency_credit_fen AS "emergencyCreditFen", last_payment_at AS "lastPaymentAt", created_at AS "createdAt", migration`;

export type NewAccount = Omit<AccountRow, 'balanceFen' | 'alarmState' | 'alarm2At' | 'reviewAt' | 'levelOverrides' | 'levelsDerivedAt' | 'emergencyCreditFen' | 'lastPaymentAt' | 'migration'>
  & { levelOverrides?: string | null; levelsDerivedAt?: number | null };

export function accountsRepository(db: Database) {
  const insert = db.prepare(`INSERT INTO accounts (id, name, category, credit_grade, protected, tariff_id,
    alarm_level1_fen, alarm_level2_fen, cutoff_level_fen, restore_level_fen, level_overrides, levels_derived_at, created_at)
    VALUES (@id, @name, @category, @creditGrade, @protected, @tariffId, @alarmLevel1Fen, @alarmLevel2Fen,
    @cutoffLevelFen, @restoreLevelFen, @levelOverrides, @levelsDerivedAt, @createdAt)`);
  const byId = db.prepare(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ?`);
  const idsAfter = db.prepare(`SELECT id FROM accounts WHERE id > ? ORDER BY id LIMIT ?`).pluck();
  const setBalance = db.prepare(`UPDATE accounts SET balance_fen = balance_fen + ? WHERE id = ? RETURNING balance_fen`).pluck();
  const setAlarm = db.prepare(`UPDATE accounts SET alarm_state = ?, alarm2_at = ? WHERE id = ?`);
  const setReview = db.prepare(`UPDATE accounts SET review_at = ? WHERE id = ?`);
  const insertTariff = db.prepare(`INSERT INTO tariffs (id, name, definition, created_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING`);
  const tariffById = db.prepare(`SELECT definition FROM tariffs WHERE id = ?`).pluck();
  // Fleet management (the HTTP API's list, update, delete and balance queries).
  const listPage = db.prepare(`SELECT ${ACCOUNT_COLUMNS}, ${ACCOUNT_STATE} AS state FROM accounts a WHERE id > @after
    AND (CAST(@q AS text) IS NULL OR LOWER(id) LIKE LOWER(@q) ESCAPE '\\' OR LOWER(name) LIKE LOWER(@q) ESCAPE '\\') AND (CAST(@category AS text) IS NULL OR category = @category)
    AND (CAST(@creditGrade AS text) IS NULL OR credit_grade = @creditGrade) AND (CAST(@protected AS bigint) IS NULL OR protected = @protected)
    AND (CAST(@state AS text) IS NULL OR ${ACCOUNT_STATE} = @state) ORDER BY id LIMIT @limit`);
  const stateCounts = db.prepare(`SELECT ${ACCOUNT_STATE} AS state, COUNT(*) AS count FROM accounts a GROUP BY 1`);
  const stateOf = db.prepare(`SELECT ${ACCOUNT_STATE} FROM accounts a WHERE id = ?`).pluck();
  const updateFields = db.prepare(`UPDATE accounts SET name = @name, category = @category, credit_grade = @creditGrade,
    protected = @protected, level_overrides = @levelOverrides WHERE id = @id`);
  const usage = db.prepare(`SELECT (SELECT COUNT(*) FROM ledger_entries WHERE account_id = @id) AS "ledgerEntries",
    (SELECT COUNT(*) FROM payments WHERE account_id = @id) AS payments,
    (SELECT COUNT(*) FROM meters WHERE account_id = @id) AS meters`);
  const remove = db.prepare(`DELETE FROM accounts WHERE id = ?`);
  const balances = db.prepare(`SELECT id AS "accountId", balance_fen AS "balanceFen", alarm_state AS "alarmState" FROM accounts
    WHERE id IN (SELECT value FROM ${jsonValues(db, '?')})`);
  const balanceOne = db.prepare(`SELECT id AS "accountId", balance_fen AS "balanceFen", alarm_state AS "alarmState"
    FROM accounts WHERE id = ?`);
  // Money: emergency credit, last payment, levels (src/ledger/).
  const setEmergency = db.prepare(`UPDATE accounts SET emergency_credit_fen = ? WHERE id = ?`);
  const notePayment = db.prepare(`UPDATE accounts SET last_payment_at = CASE WHEN last_payment_at IS NULL OR last_payment_at < @at THEN @at ELSE last_payment_at END
    WHERE id = @id`);
  const setLevels = db.prepare(`UPDATE accounts SET alarm_level1_fen = @alarmLevel1Fen, alarm_level2_fen = @alarmLevel2Fen,
    cutoff_level_fen = @cutoffLevelFen, restore_level_fen = @restoreLevelFen, levels_derived_at = @at WHERE id = @id`);
  const setOverrides = db.prepare(`UPDATE accounts SET level_overrides = ? WHERE id = ?`);
  const levelInputsPage = db.prepare(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id > ? ORDER BY id LIMIT ?`);
  const markDerived = db.prepare(`UPDATE accounts SET levels_derived_at = ? WHERE id > ? AND id <= ? AND levels_derived_at IS NULL`);

  return {
    insert(account: NewAccount): void {
      insert.run({ levelOverrides: null, levelsDerivedAt: null, ...account });
    },
    get(id: string): AccountRow | undefined {
      return byId.get(id) as AccountRow | undefined;
    },
    /** Keyset pagination over account ids, for sweeps. */
    idsAfter(afterId: string, limit: number): string[] {
      return idsAfter.all(afterId, limit) as string[];
    },
    /** Adds to the cached balance and returns the new balance. Call inside the ledger's transaction. */
    addToBalance(id: string, deltaFen: number): number {
      return setBalance.get(deltaFen, id) as number;
    },
    setAlarmState(id: string, state: number, alarm2At: number | null): void {
      setAlarm.run(state, alarm2At, id);
    },
    setReviewAt(id: string, at: number | null): void {
      setReview.run(at, id);
    },
    ensureTariff(id: string, name: string, definition: string, now: number): void {
      insertTariff.run(id, name, definition, now);
    },
    tariffDefinition(id: string): string | undefined {
      return tariffById.get(id) as string | undefined;
    },
    /** Keyset pagination over account ids with filters; `q` matches id or name anywhere. */
    list(filter: AccountFilter, afterId: string, limit: number): Array<AccountRow & { state: AccountState }> {
      const q = filter.q ? `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
      return listPage.all({
        after: afterId, limit, q, category: filter.category ?? null, creditGrade: filter.creditGrade ?? null,
        protected: filter.protected === undefined || filter.protected === null ? null : filter.protected ? 1 : 0, state: filter.state ?? null,
      }) as Array<AccountRow & { state: AccountState }>;
    },
    stateCounts(): Record<AccountState, number> {
      const out: Record<AccountState, number> = { normal: 0, 'alarm-1': 0, 'alarm-2': 0, 'cut-off': 0, review: 0 };
      for (const r of stateCounts.all() as Array<{ state: AccountState; count: number }>) out[r.state] = r.count;
      return out;
    },
    state(id: string): AccountState | undefined {
      return stateOf.get(id) as AccountState | undefined;
    },
    /** Changes what an account is; its levels follow from these (src/ledger/levels.ts deriveLevels). */
    update(id: string, fields: Pick<AccountRow, 'name' | 'category' | 'creditGrade' | 'protected' | 'levelOverrides'>): void {
      updateFields.run({ ...fields, id });
    },
    usage(id: string): { ledgerEntries: number; payments: number; meters: number } {
      return usage.get({ id }) as { ledgerEntries: number; payments: number; meters: number };
    },
    delete(id: string): boolean {
      return remove.run(id).changes === 1;
    },
    /** One account's balance: the hot path of billing systems, a primary-key lookup. */
    balance(id: string): { accountId: string; balanceFen: number; alarmState: number } | undefined {
      return balanceOne.get(id) as { accountId: string; balanceFen: number; alarmState: number } | undefined;
    },
    /** Balances of many accounts in one prepared statement (ids as a JSON array); unknown ids are absent. */
    balances(ids: readonly string[]): Array<{ accountId: string; balanceFen: number; alarmState: number }> {
      return balances.all(JSON.stringify(ids)) as Array<{ accountId: string; balanceFen: number; alarmState: number }>;
    },
    /** Emergency credit taken and not yet repaid. Call inside the ledger's transaction. */
    setEmergencyCredit(id: string, outstandingFen: number): void {
      setEmergency.run(outstandingFen, id);
    },
    /** Remembers a payment's time (the latest one stays). */
    notePayment(id: string, paidAt: number): void {
      notePayment.run({ at: paidAt, id });
    },
    /** Stores levels derived at `at` from the account's inputs. */
    setLevels(id: string, levels: Pick<AccountRow, 'alarmLevel1Fen' | 'alarmLevel2Fen' | 'cutoffLevelFen' | 'restoreLevelFen'>, at: number): void {
      setLevels.run({ alarmLevel1Fen: levels.alarmLevel1Fen, alarmLevel2Fen: levels.alarmLevel2Fen, cutoffLevelFen: levels.cutoffLevelFen, restoreLevelFen: levels.restoreLevelFen, at, id });
    },
    /** Marks the rows of ids in (afterId, lastId] from before levels were derived as derived at `at`. */
    markLevelsDerived(afterId: string, lastId: string, at: number): void {
      markDerived.run(at, afterId, lastId);
    },
    setLevelOverrides(id: string, json: string | null): void {
      setOverrides.run(json, id);
    },
    /** Accounts in id order, a page at a time (the levels refresher's sweep). */
    levelInputsAfter(afterId: string, limit: number): AccountRow[] {
      return levelInputsPage.all(afterId, limit) as AccountRow[];
    },
  };
}

export type AccountsRepository = ReturnType<typeof accountsRepository>;

/** An account's state for operators: review > cut off (a meter's relay open) > alarm 2 > alarm 1 > normal. */
export type AccountState = 'normal' | 'alarm-1' | 'alarm-2' | 'cut-off' | 'review';
/** Every account state, in the order the console shows them. */
export const ACCOUNT_STATES: readonly AccountState[] = ['normal', 'alarm-1', 'alarm-2', 'cut-off', 'review'];

export interface AccountFilter {
  q?: string | null;
  category?: string | null;
  creditGrade?: string | null;
  protected?: boolean | null;
  state?: AccountState | null;
}

/** An account's state in SQL, over `accounts a` (the API, the console and feikong_accounts_by_state). */
export const ACCOUNT_STATE = `(CASE WHEN a.review_at IS NOT NULL THEN 'review'
  WHEN EXISTS (SELECT 1 FROM meters m WHERE m.account_id = a.id AND m.relay_state = 'open') THEN 'cut-off'
  WHEN a.alarm_state = 2 THEN 'alarm-2' WHEN a.alarm_state = 1 THEN 'alarm-1' ELSE 'normal' END)`;
