// Repository functions for accounts and tariffs: prepared statements on the hot paths.
import type { Sqlite } from '../connection.js';

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
  emergencyCreditFen: number;
  lastPaymentAt: number | null;
  createdAt: number;
}

const ACCOUNT_COLUMNS = `id, name, category, credit_grade AS creditGrade, protected, tariff_id AS tariffId,
  balance_fen AS balanceFen, alarm_level1_fen AS alarmLevel1Fen, alarm_level2_fen AS alarmLevel2Fen,
  cutoff_level_fen AS cutoffLevelFen, restore_level_fen AS restoreLevelFen, alarm_state AS alarmState,
  alarm2_at AS alarm2At, review_at AS reviewAt, level_overrides AS levelOverrides,
  emergency_credit_fen AS emergencyCreditFen, last_payment_at AS lastPaymentAt, created_at AS createdAt`;

export type NewAccount = Omit<AccountRow, 'balanceFen' | 'alarmState' | 'alarm2At' | 'reviewAt' | 'levelOverrides' | 'emergencyCreditFen' | 'lastPaymentAt'>;

export function accountsRepository(db: Sqlite) {
  const insert = db.prepare(`INSERT INTO accounts (id, name, category, credit_grade, protected, tariff_id,
    alarm_level1_fen, alarm_level2_fen, cutoff_level_fen, restore_level_fen, created_at)
    VALUES (@id, @name, @category, @creditGrade, @protected, @tariffId, @alarmLevel1Fen, @alarmLevel2Fen,
    @cutoffLevelFen, @restoreLevelFen, @createdAt)`);
  const byId = db.prepare(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ?`);
  const idsAfter = db.prepare(`SELECT id FROM accounts WHERE id > ? ORDER BY id LIMIT ?`).pluck();
  const setBalance = db.prepare(`UPDATE accounts SET balance_fen = balance_fen + ? WHERE id = ? RETURNING balance_fen`).pluck();
  const setAlarm = db.prepare(`UPDATE accounts SET alarm_state = ?, alarm2_at = ? WHERE id = ?`);
  const setReview = db.prepare(`UPDATE accounts SET review_at = ? WHERE id = ?`);
  const insertTariff = db.prepare(`INSERT INTO tariffs (id, name, definition, created_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING`);
  const tariffById = db.prepare(`SELECT definition FROM tariffs WHERE id = ?`).pluck();

  return {
    insert(account: NewAccount): void {
      insert.run(account);
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
  };
}

export type AccountsRepository = ReturnType<typeof accountsRepository>;
