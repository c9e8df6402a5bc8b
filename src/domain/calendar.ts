// The no-cut calendar: nights, weekends and China's public holidays with their make-up workdays
// (调休). Pure: the caller passes the time and the holiday calendar (src/domain/holiday-calendar.ts:
// an operator's schedule, the `chinese-days` library's, or provisional derived holidays).
//
// Every window that applies is named, in this order: 'night', 'holiday:<name>' (with
// ' (provisional)' when the holiday is derived, not official), 'calendar-uncovered:<year>' (the
// year has no official schedule and `uncoveredYear` is 'suspend'), 'weekend'. At 02:00 on
// National Day the reason is "night, holiday:国庆节".
//
// A make-up workday is a Saturday or Sunday declared a working day to make up for a holiday;
// by default it counts as a workday (cut-offs allowed), `makeUpWorkdays: false` keeps it a
// weekend.
import type { NoCutConfig } from '../config/schema.js';
import { HolidayCalendar, type CalendarSource } from './holiday-calendar.js';

/**
 * The kinds of no-cut window a verdict names (each window: the kind, `holiday:<name>` with
 * " (provisional)" when derived, or `calendar-uncovered:<year>`); the console translates them.
 */
export const NO_CUT_WINDOWS = ['night', 'weekend', 'holiday', 'calendar-uncovered'] as const;
export type NoCutWindow = (typeof NO_CUT_WINDOWS)[number];

export interface NoCutVerdict {
  noCut: boolean;
  /** every window that applies, joined by ', ' (when noCut) */
  reason?: string;
  /** each window that applies: 'night' | 'holiday:<name>[ (provisional)]' | 'calendar-uncovered:<year>' | 'weekend' */
  windows?: string[];
  /** where the day's public holidays come from */
  calendar?: CalendarSource;
  /** a window rests on a derived, provisional holiday */
  provisional?: boolean;
}

/** The suffix that marks a derived holiday in a window's name. */
export const PROVISIONAL = ' (provisional)';

/** The library's schedule, derived holidays where it has none: the calendar without operators' schedules. */
export const LIBRARY_CALENDAR = new HolidayCalendar();

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

export function noCutVerdict(at: number, config: NoCutConfig, utcOffsetMinutes: number, calendar: HolidayCalendar = LIBRARY_CALENDAR): NoCutVerdict {
  const { date, minute, weekday } = localParts(at, utcOffsetMinutes);
  const windows: string[] = [];
  if (config.nights && isNightAt(minute, config.nightStart, config.nightEnd)) windows.push('night');
  const day = calendar.day(date);
  if (config.holidays) {
    for (const name of day.holidays) windows.push(`holiday:${name}${day.source === 'derived' ? PROVISIONAL : ''}`);
    if (day.source === 'suspended') windows.push(`calendar-uncovered:${date.slice(0, 4)}`);
  }
  const isWeekend = weekday === 0 || weekday === 6;
  if (config.weekends && isWeekend && (!day.makeUpWorkday || config.makeUpWorkdays === false)) windows.push('weekend');
  const provisional = windows.some((w) => w.endsWith(PROVISIONAL));
  return windows.length > 0
    ? { noCut: true, reason: windows.join(', '), windows, calendar: day.source, provisional }
    : { noCut: false, windows, calendar: day.source, provisional };
}

/** The local calendar year of an instant. */
export function localYear(at: number, utcOffsetMinutes: number): number {
  return Number(localParts(at, utcOffsetMinutes).date.slice(0, 4));
}
