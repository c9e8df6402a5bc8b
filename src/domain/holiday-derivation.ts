// Provisional public holidays of a year whose official schedule is not known yet: the ones that
// follow from the calendar alone, under the national holiday regulations (全国年节及纪念日放假办法,
// 2024 revision, art. 2): New Year's Day, the Spring Festival, Qingming, Labour Day, the Dragon
// Boat Festival, the Mid-Autumn Festival and National Day. Their dates come from the Gregorian
// calendar, the lunar calendar and the solar term Pure Brightness; their lengths are the usual
// ones of the State Council's schedules:
//
//   元旦    1 January, with the weekend next to it            (3 days, see below)
//   春节    New Year's Eve (除夕) to the 6th day of the 1st lunar month (7 days)
//   清明    the day of the solar term 清明, with the weekend   (3 days)
//   劳动节  1–5 May                                            (5 days)
//   端午    5th day of the 5th lunar month, with the weekend   (3 days)
//   中秋    15th day of the 8th lunar month, with the weekend  (3 days)
//   国庆节  1–7 October; to the 8th when 中秋 falls on 1–8 October (7 or 8 days)
//
// A one-day festival is usually given as three days joined to a weekend: Saturday to Monday when
// it falls on a Saturday, Sunday or Monday, Sunday to Tuesday on a Tuesday (the Monday bridged),
// Thursday to Saturday on a Thursday (the Friday bridged), Friday to Sunday on a Friday; on a
// Wednesday it stays one day. The make-up workdays (调休) cannot be derived: none are. A derived
// day is only ever a day without automatic cut-offs, so a guess errs on the safe side.
// Pure: the same year gives the same days.
import { LUNAR_YEARS, lunarDay, qingmingOf } from './holiday-library.js';

const DAY_MS = 86_400_000;

/** The day `n` days after a 'YYYY-MM-DD' day. */
export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: string): number {
  return new Date(Date.parse(`${date}T00:00:00Z`)).getUTCDay();
}

function range(from: string, days: number): string[] {
  return Array.from({ length: days }, (_, i) => addDays(from, i));
}

/** A one-day festival with the weekend it is usually joined to. */
export function usualBreak(date: string): string[] {
  switch (weekdayOf(date)) {
    case 1: return range(addDays(date, -2), 3); // Sat–Mon
    case 2: return range(addDays(date, -2), 3); // Sun–Tue
    case 3: return [date];
    case 4: return range(date, 3); // Thu–Sat
    case 5: return range(date, 3); // Fri–Sun
    case 6: return range(date, 3); // Sat–Mon
    default: return range(addDays(date, -1), 3); // Sun: Sat–Mon
  }
}

/** The Gregorian days of `year` that fall on lunar (month, day) of a month that is not a leap month. */
function lunarDates(year: number): { newYear?: string; dragonBoat?: string; midAutumn?: string } {
  const out: { newYear?: string; dragonBoat?: string; midAutumn?: string } = {};
  if (year < LUNAR_YEARS.first || year > LUNAR_YEARS.last) return out;
  for (let date = `${year}-01-01`; date.startsWith(String(year)); date = addDays(date, 1)) {
    const l = lunarDay(date);
    if (l.leap) continue;
    if (l.month === 1 && l.day === 1) out.newYear = date;
    else if (l.month === 5 && l.day === 5) out.dragonBoat = date;
    else if (l.month === 8 && l.day === 15) out.midAutumn = date;
  }
  return out;
}

/** Derived years, kept: a year's lunar dates take some 40 ms to find. */
const derivedYears = new Map<number, ReadonlyMap<string, readonly string[]>>();

/**
 * The provisional public holidays of `year`: day → names (two festivals may share a day, e.g.
 * the Mid-Autumn Festival inside the National Day week). Only days of `year` are listed. The
 * lunar holidays need the library's lunar tables (1901–2099); outside them only the fixed-date
 * holidays are derived.
 */
export function deriveHolidays(year: number): ReadonlyMap<string, readonly string[]> {
  let days = derivedYears.get(year);
  if (!days) {
    days = deriveYear(year);
    derivedYears.set(year, days);
  }
  return days;
}

/** `deriveHolidays` without the memory: worked out again on every call. */
export function deriveYear(year: number): Map<string, string[]> {
  const days = new Map<string, string[]>();
  const add = (name: string, dates: string[]) => {
    for (const date of dates) {
      if (!date.startsWith(`${year}-`)) continue;
      const names = days.get(date) ?? [];
      if (!names.includes(name)) names.push(name);
      days.set(date, names);
    }
  };
  const lunar = lunarDates(year);
  add('元旦', usualBreak(`${year}-01-01`));
  if (lunar.newYear) add('春节', range(addDays(lunar.newYear, -1), 7));
  if (year >= LUNAR_YEARS.first && year <= LUNAR_YEARS.last) add('清明', usualBreak(qingmingOf(year)));
  add('劳动节', range(`${year}-05-01`, 5));
  if (lunar.dragonBoat) add('端午', usualBreak(lunar.dragonBoat));
  if (lunar.midAutumn) add('中秋', usualBreak(lunar.midAutumn));
  const joined = lunar.midAutumn !== undefined && lunar.midAutumn >= `${year}-10-01` && lunar.midAutumn <= `${year}-10-08`;
  add('国庆节', range(`${year}-10-01`, joined ? 8 : 7));
  return new Map([...days].sort(([a], [b]) => a.localeCompare(b)));
}
