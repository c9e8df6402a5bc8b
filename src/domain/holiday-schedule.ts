// A year's official holiday schedule as operators enter it (国务院办公厅关于某年部分节假日安排的通知,
// published each autumn): the public holidays as named spans of days, and the make-up workdays
// (调休) — weekend days declared working days. Validated strictly; every error names the field.
//
// A schedule for year Y may reach into December of Y-1: a New Year's break can start on 30
// December, and its make-up workday fall on the 29th (as in the schedule for 2019).
import { weekdayOf } from './holiday-derivation.js';

export interface HolidaySpan {
  /** e.g. 春节 */
  name: string;
  /** first and last day off, 'YYYY-MM-DD', both included */
  from: string;
  to: string;
}

export interface MakeUpWorkday {
  /** a Saturday or Sunday, 'YYYY-MM-DD' */
  date: string;
  /** the holiday it makes up for, e.g. 春节 */
  name?: string;
}

export interface YearSchedule {
  year: number;
  holidays: HolidaySpan[];
  makeUpWorkdays: MakeUpWorkday[];
}

export class ScheduleError extends Error {
  constructor(readonly field: string, readonly detail: string) {
    super(`${field}: ${detail}`);
    this.name = 'ScheduleError';
  }
}

export const SCHEDULE_YEARS = { first: 2000, last: 2099 } as const;
const MAX_SPAN_DAYS = 31;
const MAX_ITEMS = 60;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

function isDate(s: unknown): s is string {
  if (typeof s !== 'string' || !DATE.test(s)) return false;
  const ms = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === s;
}

function nameOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > 32 || /\p{Cc}/u.test(value)) {
    throw new ScheduleError(field, 'a holiday name of 1 to 32 characters, e.g. "春节"');
  }
  return value.trim();
}

/** Checks and normalises a schedule for `year` (spans and workdays sorted by date). */
export function parseYearSchedule(year: number, input: unknown): YearSchedule {
  if (!Number.isInteger(year) || year < SCHEDULE_YEARS.first || year > SCHEDULE_YEARS.last) {
    throw new ScheduleError('year', `a year from ${SCHEDULE_YEARS.first} to ${SCHEDULE_YEARS.last}`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ScheduleError('schedule', 'an object with holidays and makeUpWorkdays');
  const { holidays, makeUpWorkdays = [], ...rest } = input as Record<string, unknown>;
  const extra = Object.keys(rest).filter((k) => k !== 'year');
  if (extra.length > 0) throw new ScheduleError(extra[0]!, 'unknown field (known: holidays, makeUpWorkdays)');
  if ((input as { year?: unknown }).year !== undefined && (input as { year?: unknown }).year !== year) {
    throw new ScheduleError('year', `the schedule says ${String((input as { year?: unknown }).year)}, the request ${year}`);
  }
  const first = `${year - 1}-12-01`;
  const last = `${year}-12-31`;
  const inYear = (date: unknown, field: string): string => {
    if (!isDate(date)) throw new ScheduleError(field, `a calendar date YYYY-MM-DD, got ${JSON.stringify(date)}`);
    if (date < first || date > last) throw new ScheduleError(field, `${date} is outside the schedule of ${year} (${first} to ${last})`);
    return date;
  };
  if (!Array.isArray(holidays) || holidays.length === 0 || holidays.length > MAX_ITEMS) {
    throw new ScheduleError('holidays', `a list of 1 to ${MAX_ITEMS} holidays, each {"name","from","to"}`);
  }
  if (!Array.isArray(makeUpWorkdays) || makeUpWorkdays.length > MAX_ITEMS) {
    throw new ScheduleError('makeUpWorkdays', `a list of at most ${MAX_ITEMS} days, each {"date","name"}`);
  }
  const spans: HolidaySpan[] = holidays.map((h: unknown, i) => {
    const field = `holidays[${i}]`;
    if (typeof h !== 'object' || h === null) throw new ScheduleError(field, 'an object {"name","from","to"}');
    const { name, from, to, ...more } = h as Record<string, unknown>;
    if (Object.keys(more).length > 0) throw new ScheduleError(`${field}.${Object.keys(more)[0]}`, 'unknown field (known: name, from, to)');
    const span = { name: nameOf(name, `${field}.name`), from: inYear(from, `${field}.from`), to: inYear(to ?? from, `${field}.to`) };
    if (span.to < span.from) throw new ScheduleError(`${field}.to`, `${span.to} is before ${span.from}`);
    if ((Date.parse(span.to) - Date.parse(span.from)) / DAY_MS >= MAX_SPAN_DAYS) throw new ScheduleError(field, `longer than ${MAX_SPAN_DAYS} days`);
    return span;
  });
  const offDays = new Set(spans.flatMap((s) => daysOf(s)));
  const seen = new Set<string>();
  const workdays: MakeUpWorkday[] = makeUpWorkdays.map((w: unknown, i) => {
    const field = `makeUpWorkdays[${i}]`;
    const obj = typeof w === 'string' ? { date: w } : w;
    if (typeof obj !== 'object' || obj === null) throw new ScheduleError(field, 'a date "YYYY-MM-DD" or {"date","name"}');
    const { date, name, ...more } = obj as Record<string, unknown>;
    if (Object.keys(more).length > 0) throw new ScheduleError(`${field}.${Object.keys(more)[0]}`, 'unknown field (known: date, name)');
    const day = inYear(date, `${field}.date`);
    const weekday = weekdayOf(day);
    if (weekday !== 0 && weekday !== 6) throw new ScheduleError(`${field}.date`, `${day} is not a Saturday or Sunday: only a weekend day can be made a workday`);
    if (offDays.has(day)) throw new ScheduleError(`${field}.date`, `${day} is also listed as a holiday`);
    if (seen.has(day)) throw new ScheduleError(`${field}.date`, `${day} is listed twice`);
    seen.add(day);
    return name === undefined ? { date: day } : { date: day, name: nameOf(name, `${field}.name`) };
  });
  return {
    year,
    holidays: spans.sort((a, b) => a.from.localeCompare(b.from) || a.name.localeCompare(b.name)),
    makeUpWorkdays: workdays.sort((a, b) => a.date.localeCompare(b.date)),
  };
}

/** Every day of a span, in order. */
export function daysOf(span: HolidaySpan): string[] {
  const out: string[] = [];
  for (let ms = Date.parse(`${span.from}T00:00:00Z`); ms <= Date.parse(`${span.to}T00:00:00Z`); ms += DAY_MS) {
    out.push(new Date(ms).toISOString().slice(0, 10));
  }
  return out;
}
