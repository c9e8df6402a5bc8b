// The no-cut calendar: nights, weekends and China's public holidays with their make-up workdays
// (调休), from the maintained `chinese-days` calendar. Pure: the caller passes the time.
//
// A make-up workday is a Saturday or Sunday declared a working day to make up for a holiday;
// by default it counts as a workday (cut-offs allowed), `makeUpWorkdays: false` keeps it a
// weekend. `calendarCovers(year)` tells whether the calendar has the official holidays of a year
// at all: without them every public holiday of that year would be treated as a workday.
import chineseDays from 'chinese-days';
import type { NoCutConfig } from '../config/schema.js';

/** The kinds of no-cut window a verdict names (its reason: the kind, or `holiday:<name>`); the console translates them. */
export const NO_CUT_WINDOWS = ['night', 'weekend', 'holiday'] as const;
export type NoCutWindow = (typeof NO_CUT_WINDOWS)[number];

export interface NoCutVerdict {
  noCut: boolean;
  /** 'night' | 'weekend' | 'holiday:<name>' when noCut */
  reason?: string;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** Local calendar date and minute of day for an instant at a fixed UTC offset. */
export function localParts(at: number, utcOffsetMinutes: number): { date: string; minute: number; weekday: number } {
  const local = new Date(at + utcOffsetMinutes * 60_000);
  return {
    date: local.toISOString().slice(0, 10),
    minute: local.getUTCHours() * 60 + local.getUTCMinutes(),
    weekday: local.getUTCDay(),
  };
}

export function isNightAt(minute: number, start: string, end: string): boolean {
  const s = minutesOf(start);
  const e = minutesOf(end);
  return s <= e ? minute >= s && minute < e : minute >= s || minute < e;
}

export function noCutVerdict(at: number, config: NoCutConfig, utcOffsetMinutes: number): NoCutVerdict {
  const { date, minute, weekday } = localParts(at, utcOffsetMinutes);
  if (config.nights && isNightAt(minute, config.nightStart, config.nightEnd)) return { noCut: true, reason: 'night' };
  const detail = chineseDays.getDayDetail(date);
  const isWeekend = weekday === 0 || weekday === 6;
  // Festival days are named "English,中文,n"; plain days carry only the weekday's name.
  const named = detail.name.includes(',') ? detail.name.split(',')[1] ?? detail.name : null;
  if (config.holidays && !detail.work && named) return { noCut: true, reason: `holiday:${named}` };
  const makeUpWorkday = isWeekend && detail.work;
  if (config.weekends && isWeekend && (!makeUpWorkday || config.makeUpWorkdays === false)) return { noCut: true, reason: 'weekend' };
  return { noCut: false };
}

const covered = new Map<number, boolean>();

/** True when the calendar lists official public holidays (not only weekends) in `year`. */
export function calendarCovers(year: number): boolean {
  let known = covered.get(year);
  if (known === undefined) {
    known = chineseDays.getHolidaysInRange(`${year}-01-01`, `${year}-12-31`, false).length > 0;
    covered.set(year, known);
  }
  return known;
}

/** The local calendar year of an instant. */
export function localYear(at: number, utcOffsetMinutes: number): number {
  return Number(localParts(at, utcOffsetMinutes).date.slice(0, 4));
}
