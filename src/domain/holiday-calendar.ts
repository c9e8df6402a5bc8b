// Which days are public holidays and make-up workdays (调休), and where that knowledge comes from,
// in order of precedence (docs/design.md "The cut-off / restore engine": fail safe when a year's
// schedule is missing, never "no holidays"):
//
//   1. operator   the official schedule entered by an operator (API, CLI, configuration file)
//   2. library    the official schedule shipped in `chinese-days`
//   3. derived    provisional holidays derived from the calendar (src/domain/holiday-derivation.ts)
//      or suspended: no automatic cut-off at all in a year without an official schedule
//
// A year is covered when its official schedule is known (1 or 2). A day listed in an operator's
// schedule of the next year (a New Year's break that starts in December) follows that schedule.
// Pure: built from data, answers from memory.
import { deriveHolidays } from './holiday-derivation.js';
import { daysOf, type YearSchedule } from './holiday-schedule.js';
import { libraryCovers, libraryDay } from './holiday-library.js';

export type CalendarSource = 'operator' | 'library' | 'derived' | 'suspended';
/** What a year without an official schedule gets: derived provisional holidays, or no automatic cut-offs. */
export type UncoveredYearPolicy = 'derive' | 'suspend';

export interface CalendarDay {
  /** public holidays on the day, by name (two festivals may share a day) */
  holidays: string[];
  /** a weekend day declared a working day */
  makeUpWorkday: boolean;
  source: CalendarSource;
}

export interface YearCoverage {
  year: number;
  source: CalendarSource;
  /** the year's official schedule is known (from an operator or the library) */
  covered: boolean;
}

const DAY_CACHE = 1000;

interface Entry {
  holidays: string[];
  makeUpWorkday: boolean;
}

export class HolidayCalendar {
  private readonly years = new Set<number>();
  private readonly explicit = new Map<string, Entry>();
  /** days answered before (the engine asks about the same day at every evaluation) */
  private readonly days = new Map<string, CalendarDay>();

  constructor(
    schedules: readonly YearSchedule[] = [],
    readonly uncoveredYear: UncoveredYearPolicy = 'derive',
    private readonly covers: (year: number) => boolean = libraryCovers,
  ) {
    for (const s of schedules) this.years.add(s.year);
    // A schedule's own year first; its days in December of the year before only where that
    // year's schedule says nothing of them.
    for (const ownYear of [true, false]) {
      for (const s of schedules) {
        const entries = new Map<string, Entry>();
        const entry = (date: string) => entries.get(date) ?? entries.set(date, { holidays: [], makeUpWorkday: false }).get(date)!;
        for (const span of s.holidays) {
          for (const date of daysOf(span)) if (!entry(date).holidays.includes(span.name)) entry(date).holidays.push(span.name);
        }
        for (const w of s.makeUpWorkdays) entry(w.date).makeUpWorkday = true;
        for (const [date, e] of entries) {
          if (date.startsWith(`${s.year}-`) === ownYear && !this.explicit.has(date)) this.explicit.set(date, e);
        }
      }
    }
  }

  /** Where the holidays of `year` come from. */
  sourceOf(year: number): CalendarSource {
    if (this.years.has(year)) return 'operator';
    if (this.covers(year)) return 'library';
    return this.uncoveredYear === 'derive' ? 'derived' : 'suspended';
  }

  coverage(year: number): YearCoverage {
    const source = this.sourceOf(year);
    return { year, source, covered: source === 'operator' || source === 'library' };
  }

  /** One calendar day, 'YYYY-MM-DD'. */
  day(date: string): CalendarDay {
    let day = this.days.get(date);
    if (!day) {
      if (this.days.size >= DAY_CACHE) this.days.clear();
      day = this.lookUp(date);
      this.days.set(date, day);
    }
    return { holidays: [...day.holidays], makeUpWorkday: day.makeUpWorkday, source: day.source };
  }

  private lookUp(date: string): CalendarDay {
    const listed = this.explicit.get(date);
    if (listed) return { holidays: [...listed.holidays], makeUpWorkday: listed.makeUpWorkday, source: 'operator' };
    const year = Number(date.slice(0, 4));
    const source = this.sourceOf(year);
    switch (source) {
      case 'library': {
        const l = libraryDay(date);
        return { holidays: l.holiday ? [l.holiday] : [], makeUpWorkday: l.makeUpWorkday, source };
      }
      case 'derived':
        return { holidays: [...(this.derivedOf(year).get(date) ?? [])], makeUpWorkday: false, source };
      default:
        return { holidays: [], makeUpWorkday: false, source };
    }
  }

  /** The provisional holidays of a year (whatever its source), day → names. */
  derivedOf(year: number): ReadonlyMap<string, readonly string[]> {
    return deriveHolidays(year);
  }
}
