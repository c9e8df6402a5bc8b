// Repository functions for the official holiday schedules operators enter, one row per year
// (src/domain/holiday-schedule.ts says what a schedule holds; the caller checks it first).
import type { Database } from '../database.js';

export type ScheduleOrigin = 'api' | 'cli' | 'config';

export interface HolidayScheduleRow {
  year: number;
  /** JSON {holidays, makeUpWorkdays} */
  schedule: string;
  origin: ScheduleOrigin;
  actor: string;
  reason: string;
  updatedAt: number;
}

const COLUMNS = `year, schedule, origin, actor, reason, updated_at AS "updatedAt"`;

export function calendarRepository(db: Database) {
  const all = db.prepare(`SELECT ${COLUMNS} FROM holiday_schedules ORDER BY year`);
  const byYear = db.prepare(`SELECT ${COLUMNS} FROM holiday_schedules WHERE year = ?`);
  const upsert = db.prepare(`INSERT INTO holiday_schedules (year, schedule, origin, actor, reason, updated_at)
    VALUES (@year, @schedule, @origin, @actor, @reason, @updatedAt)
    ON CONFLICT (year) DO UPDATE SET schedule = excluded.schedule, origin = excluded.origin, actor = excluded.actor,
      reason = excluded.reason, updated_at = excluded.updated_at`);
  const remove = db.prepare(`DELETE FROM holiday_schedules WHERE year = ?`);
  // A fingerprint of the table: the daemon reloads its calendar only when it moved.
  const version = db.prepare(`SELECT COUNT(*) || ':' || COALESCE(MAX(updated_at), 0) || ':' || COALESCE(SUM(year), 0) FROM holiday_schedules`).pluck();

  return {
    list(): HolidayScheduleRow[] {
      return all.all() as HolidayScheduleRow[];
    },
    get(year: number): HolidayScheduleRow | undefined {
      return byYear.get(year) as HolidayScheduleRow | undefined;
    },
    /** Stores a year's schedule, replacing the one before. */
    put(row: HolidayScheduleRow): void {
      upsert.run(row);
    },
    /** Removes a year's schedule; false when there was none. */
    remove(year: number): boolean {
      return remove.run(year).changes === 1;
    },
    version(): string {
      return String(version.get());
    },
  };
}

export type CalendarRepository = ReturnType<typeof calendarRepository>;
