// Tariff time in the meters' local time (a fixed UTC offset, UTC+8 by default): the ladder or
// billing period an instant falls in, and the time-of-use band of an instant. Pure.
import type { PeriodSpec, TouBand, TouTariff } from './tariff.js';

/** An instant far beyond any reading: the open end of "since forever" and "until further notice". */
export const FOREVER = 8_640_000_000_000_000;

export interface Period {
  /** inclusive, ms since the epoch */
  start: number;
  /** exclusive */
  end: number;
}

interface LocalDate {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  minuteOfDay: number;
}

export function localDate(at: number, utcOffsetMinutes: number): LocalDate {
  const d = new Date(at + utcOffsetMinutes * 60_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), minuteOfDay: d.getUTCHours() * 60 + d.getUTCMinutes() };
}

/** Local midnight of a calendar day as an instant; months outside 1–12 roll over the year. */
function localMidnight(year: number, month: number, day: number, utcOffsetMinutes: number): number {
  return Date.UTC(year, month - 1, day) - utcOffsetMinutes * 60_000;
}

/**
 * The ladder (or billing) period containing `at`: a month from `resetDay`, or a year from
 * `resetMonth`/`resetDay`, starting at local midnight.
 */
export function periodAt(at: number, spec: PeriodSpec, utcOffsetMinutes: number): Period {
  const { year, month, day } = localDate(at, utcOffsetMinutes);
  const resetDay = spec.resetDay ?? 1;
  if (spec.period === 'month') {
    const startMonth = day >= resetDay ? month : month - 1;
    return {
      start: localMidnight(year, startMonth, resetDay, utcOffsetMinutes),
      end: localMidnight(year, startMonth + 1, resetDay, utcOffsetMinutes),
    };
  }
  const resetMonth = spec.resetMonth ?? 1;
  const startYear = month > resetMonth || (month === resetMonth && day >= resetDay) ? year : year - 1;
  return {
    start: localMidnight(startYear, resetMonth, resetDay, utcOffsetMinutes),
    end: localMidnight(startYear + 1, resetMonth, resetDay, utcOffsetMinutes),
  };
}

function minutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** The time-of-use band of an instant: the first range that contains its local time, else flat. */
export function bandAt(tariff: TouTariff, at: number, utcOffsetMinutes: number): TouBand {
  const { month, minuteOfDay } = localDate(at, utcOffsetMinutes);
  for (const range of tariff.bands) {
    if (range.months && !range.months.includes(month)) continue;
    const from = minutes(range.from);
    const to = minutes(range.to);
    const inside = from < to ? minuteOfDay >= from && minuteOfDay < to : minuteOfDay >= from || minuteOfDay < to;
    if (inside) return range.band;
  }
  return 'flat';
}
