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

/** The band at a local minute of the day in a month: the first range that contains it, else flat. */
function bandAtMinute(tariff: TouTariff, month: number, minuteOfDay: number): TouBand {
  for (const range of tariff.bands) {
    if (range.months && !range.months.includes(month)) continue;
    const from = minutes(range.from);
    const to = minutes(range.to);
    // A range includes its start and excludes its end; one whose end is earlier wraps past midnight.
    const inside = from < to ? minuteOfDay >= from && minuteOfDay < to : minuteOfDay >= from || minuteOfDay < to;
    if (inside) return range.band;
  }
  return 'flat';
}

/** The time-of-use band of an instant: the first range that contains its local time, else flat. */
export function bandAt(tariff: TouTariff, at: number, utcOffsetMinutes: number): TouBand {
  const { month, minuteOfDay } = localDate(at, utcOffsetMinutes);
  return bandAtMinute(tariff, month, minuteOfDay);
}

/** A stretch of time in one band. */
export interface BandInterval {
  /** inclusive */
  from: number;
  /** exclusive */
  to: number;
  band: TouBand;
}

type DayTimeline = Array<[fromMinute: number, toMinute: number, band: TouBand]>;
const timelines = new WeakMap<TouTariff, Map<number, DayTimeline>>();

/** A local day of a month as runs of one band, from minute 0 to 1440. */
function dayTimeline(tariff: TouTariff, month: number): DayTimeline {
  let byMonth = timelines.get(tariff);
  if (!byMonth) timelines.set(tariff, (byMonth = new Map()));
  let timeline = byMonth.get(month);
  if (timeline) return timeline;
  const edges = new Set<number>([0, 1440]);
  for (const r of tariff.bands) {
    if (r.months && !r.months.includes(month)) continue;
    edges.add(minutes(r.from));
    edges.add(minutes(r.to));
  }
  const sorted = [...edges].sort((a, b) => a - b);
  timeline = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const band = bandAtMinute(tariff, month, sorted[i]!);
    const last = timeline[timeline.length - 1];
    if (last && last[2] === band) last[1] = sorted[i + 1]!;
    else timeline.push([sorted[i]!, sorted[i + 1]!, band]);
  }
  byMonth.set(month, timeline);
  return timeline;
}

const DAY_MS = 86_400_000;

/**
 * [start, end) cut at every band edge, in time order, each run of one band whole: the stretches a
 * single register's energy is spread over (docs/charging.md). Local days are 24 h (a fixed offset).
 */
export function bandIntervals(tariff: TouTariff, start: number, end: number, utcOffsetMinutes: number): BandInterval[] {
  const out: BandInterval[] = [];
  const first = localDate(start, utcOffsetMinutes);
  let day = localMidnight(first.year, first.month, first.day, utcOffsetMinutes);
  for (; day < end; day += DAY_MS) {
    for (const [m0, m1, band] of dayTimeline(tariff, localDate(day, utcOffsetMinutes).month)) {
      const from = Math.max(start, day + m0 * 60_000);
      const to = Math.min(end, day + m1 * 60_000);
      if (from >= to) continue;
      const last = out[out.length - 1];
      if (last && last.band === band && last.to === from) last.to = to;
      else out.push({ from, to, band });
    }
  }
  return out;
}
