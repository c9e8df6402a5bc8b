// The daemon's no-cut calendar: the holiday calendar the engine judges days by, built from the
// schedules operators entered (database), the `chinese-days` library and derivation, in that
// order (src/domain/holiday-calendar.ts). Operators enter a year's official schedule through the
// API, the CLI or the configuration file — as data, audited, without a release. The calendar is
// reloaded when the table changes (checked on every engine sweep, and at once after a change made
// through this daemon), so every daemon on one database follows an entry within a sweep.
//
// It also says what is missing: which of the current and next year have no official schedule
// (the metric feikong_calendar_covered, /readyz, the console's banner, the engine's log).
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { CalendarRepository, HolidayScheduleRow, ScheduleOrigin } from '../db/repo/calendar.js';
import type { JournalRepository } from '../db/repo/journal.js';
import { HolidayCalendar, type CalendarSource, type YearCoverage } from '../domain/holiday-calendar.js';
import { ScheduleError, parseYearSchedule, type HolidaySpan, type MakeUpWorkday, type YearSchedule } from '../domain/holiday-schedule.js';
import { libraryDay } from '../domain/holiday-library.js';
import { addDays } from '../domain/holiday-derivation.js';
import { localParts } from '../domain/calendar.js';
import { AppError } from '../errors.js';

export interface CalendarRepos {
  calendar: CalendarRepository;
  journal: Pick<JournalRepository, 'audit'>;
  transaction<T>(fn: () => T): T;
}

/** Something an operator should do about the calendar: a year without its official schedule. */
export interface CalendarNotice {
  year: number;
  source: CalendarSource;
  message: string;
}

export interface EffectiveSchedule {
  year: number;
  source: CalendarSource;
  covered: boolean;
  /** the holidays are derived, not official */
  provisional: boolean;
  holidays: HolidaySpan[];
  makeUpWorkdays: MakeUpWorkday[];
  /** who entered the schedule of this year (source operator) */
  entered: { origin: ScheduleOrigin; actor: string; reason: string; updatedAt: number } | null;
}

/** Month (1–12) from which the next year's missing schedule is announced: the State Council publishes it in the autumn. */
export const NEXT_YEAR_NOTICE_MONTH = 11;

export class CalendarService {
  private calendar: HolidayCalendar;
  private version: string | null = null;

  constructor(
    private readonly repos: CalendarRepos,
    private readonly config: Pick<Config, 'utcOffsetMinutes'> & { engine: Pick<Config['engine'], 'noCut'> },
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.calendar = new HolidayCalendar([], this.policy);
  }

  private get policy() {
    return this.config.engine.noCut.uncoveredYear ?? 'derive';
  }

  /** The calendar as last loaded. */
  get current(): HolidayCalendar {
    return this.calendar;
  }

  /** Reloads the operators' schedules when the table changed since the last load. */
  refresh(): void {
    try {
      const version = this.repos.calendar.version();
      if (version === this.version) return;
      const schedules: YearSchedule[] = [];
      for (const row of this.repos.calendar.list()) {
        try {
          schedules.push(parseYearSchedule(row.year, JSON.parse(row.schedule)));
        } catch (err) {
          this.logger.error({ err, year: row.year }, `the stored holiday schedule of ${row.year} is unreadable: the year is judged without it`);
        }
      }
      this.calendar = new HolidayCalendar(schedules, this.policy);
      this.version = version;
    } catch (err) {
      this.logger.error({ err }, 'reloading the holiday schedules failed; the calendar loaded before stays in use');
    }
  }

  /**
   * Stores the configuration file's schedules: a year the database does not have, or had from the
   * file, takes the file's; a year entered through the API or CLI keeps that entry (logged). A
   * year that came from the file and is no longer in it is removed. Every change is audited.
   */
  applyConfigured(): void {
    const configured = this.config.engine.noCut.schedules ?? [];
    const at = this.now();
    this.repos.transaction(() => {
      const years = new Set<number>();
      for (const entry of configured) {
        years.add(entry.year);
        const schedule = parseYearSchedule(entry.year, entry);
        const json = scheduleJson(schedule);
        const stored = this.repos.calendar.get(entry.year);
        if (stored && stored.origin !== 'config') {
          if (stored.schedule !== json) {
            this.logger.warn({ year: entry.year, origin: stored.origin, actor: stored.actor },
              `the configuration's holiday schedule of ${entry.year} is not applied: the one entered by ${stored.actor} stands (remove it to use the file's)`);
          }
          continue;
        }
        if (stored?.schedule === json) continue;
        this.write(schedule, { origin: 'config', actor: 'config', reason: 'configuration file engine.noCut.schedules' }, at, stored);
      }
      for (const stored of this.repos.calendar.list()) {
        if (stored.origin !== 'config' || years.has(stored.year)) continue;
        this.repos.calendar.remove(stored.year);
        this.repos.journal.audit('config', 'holiday-schedule-removed', `calendar:${stored.year}`,
          { year: stored.year, reason: 'no longer in the configuration file', previous: JSON.parse(stored.schedule) }, at);
      }
    });
    this.version = null;
    this.refresh();
  }

  /** Enters a year's official schedule (replacing the one before); checked, stored and audited. */
  set(year: number, input: unknown, by: { origin: ScheduleOrigin; actor: string; reason: string }): { schedule: YearSchedule; replaced: boolean } {
    let schedule: YearSchedule;
    try {
      schedule = parseYearSchedule(year, input);
    } catch (err) {
      if (err instanceof ScheduleError) throw new AppError('VALIDATION', err.message, { field: err.field });
      throw err;
    }
    const at = this.now();
    const replaced = this.repos.transaction(() => {
      const stored = this.repos.calendar.get(year);
      this.write(schedule, by, at, stored);
      return stored !== undefined;
    });
    this.version = null;
    this.refresh();
    return { schedule, replaced };
  }

  /** Removes a year's entered schedule: the year falls back to the library or derivation. */
  remove(year: number, by: { actor: string; reason: string }): HolidayScheduleRow {
    const at = this.now();
    const removed = this.repos.transaction(() => {
      const stored = this.repos.calendar.get(year);
      if (!stored) throw new AppError('NOT_FOUND', `no holiday schedule of ${year} was entered`);
      this.repos.calendar.remove(year);
      this.repos.journal.audit(by.actor, 'holiday-schedule-removed', `calendar:${year}`, { year, reason: by.reason, previous: JSON.parse(stored.schedule) }, at);
      return stored;
    });
    this.version = null;
    this.refresh();
    return removed;
  }

  private write(schedule: YearSchedule, by: { origin: ScheduleOrigin; actor: string; reason: string }, at: number, previous: HolidayScheduleRow | undefined): void {
    const json = scheduleJson(schedule);
    this.repos.calendar.put({ year: schedule.year, schedule: json, origin: by.origin, actor: by.actor, reason: by.reason, updatedAt: at });
    this.repos.journal.audit(by.actor, 'holiday-schedule-set', `calendar:${schedule.year}`, {
      year: schedule.year, origin: by.origin, reason: by.reason, schedule: JSON.parse(json),
      previous: previous ? { origin: previous.origin, actor: previous.actor, schedule: JSON.parse(previous.schedule) } : null,
    }, at);
  }

  /** The holidays and make-up workdays a year is judged by, and where they come from. */
  effective(year: number): EffectiveSchedule {
    this.refresh();
    const coverage = this.calendar.coverage(year);
    const row = coverage.source === 'operator' ? this.repos.calendar.get(year) : undefined;
    const entered = row ? { origin: row.origin, actor: row.actor, reason: row.reason, updatedAt: row.updatedAt } : null;
    const base = { ...coverage, provisional: coverage.source === 'derived', entered };
    if (row) {
      const s = parseYearSchedule(year, JSON.parse(row.schedule));
      return { ...base, holidays: s.holidays, makeUpWorkdays: s.makeUpWorkdays };
    }
    if (coverage.source === 'derived') return { ...base, holidays: spansOf(this.calendar.derivedOf(year)), makeUpWorkdays: [] };
    if (coverage.source === 'suspended') return { ...base, holidays: [], makeUpWorkdays: [] };
    const days = new Map<string, string[]>();
    const workdays: MakeUpWorkday[] = [];
    for (let date = `${year}-01-01`; date.startsWith(String(year)); date = addDays(date, 1)) {
      const d = libraryDay(date);
      if (d.holiday) days.set(date, [d.holiday]);
      if (d.makeUpWorkday) workdays.push({ date });
    }
    return { ...base, holidays: spansOf(days), makeUpWorkdays: workdays };
  }

  /** Coverage of the current and the next local year at `at`. */
  coverage(at = this.now()): YearCoverage[] {
    const year = Number(localParts(at, this.config.utcOffsetMinutes).date.slice(0, 4));
    return [this.calendar.coverage(year), this.calendar.coverage(year + 1)];
  }

  /**
   * What an operator must do now: enter the current year's schedule if it is missing; from
   * 1 November, the next year's too. Nothing while public holidays are not no-cut days, unless
   * `always`.
   */
  notices(at = this.now(), always = false): CalendarNotice[] {
    if (!this.config.engine.noCut.holidays && !always) return [];
    const month = Number(localParts(at, this.config.utcOffsetMinutes).date.slice(5, 7));
    const [current, next] = this.coverage(at);
    const out: CalendarNotice[] = [];
    for (const c of month >= NEXT_YEAR_NOTICE_MONTH ? [current!, next!] : [current!]) {
      if (c.covered) continue;
      const meaning = c.source === 'derived'
        ? 'public holidays are derived from the calendar (provisional) and make-up workdays unknown'
        : 'automatic cut-offs are suspended for the whole year (engine.noCut.uncoveredYear = suspend)';
      out.push({
        year: c.year, source: c.source,
        message: `no official holiday schedule for ${c.year}: ${meaning}; enter the State Council's schedule (PUT /v1/calendar/years/${c.year} or feikong calendar set ${c.year} FILE)`,
      });
    }
    return out;
  }
}

/** The stored form of a schedule: its holidays and make-up workdays, sorted. */
function scheduleJson(s: YearSchedule): string {
  return JSON.stringify({ holidays: s.holidays, makeUpWorkdays: s.makeUpWorkdays });
}

/** Days → names as spans of consecutive days under one name. */
export function spansOf(days: ReadonlyMap<string, readonly string[]>): HolidaySpan[] {
  const open = new Map<string, HolidaySpan>();
  const out: HolidaySpan[] = [];
  for (const date of [...days.keys()].sort()) {
    for (const name of days.get(date)!) {
      const span = open.get(name);
      if (span && addDays(span.to, 1) === date) span.to = date;
      else {
        const fresh = { name, from: date, to: date };
        open.set(name, fresh);
        out.push(fresh);
      }
    }
  }
  return out.sort((a, b) => a.from.localeCompare(b.from) || a.name.localeCompare(b.name));
}
