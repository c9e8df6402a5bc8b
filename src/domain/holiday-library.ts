// The one door to the `chinese-days` library: the official holidays and make-up workdays it ships
// (one release per State Council schedule), and its lunar calendar and solar terms, which the
// derivation of provisional holidays uses (src/domain/holiday-derivation.ts).
//
// Dates in and out are 'YYYY-MM-DD' calendar days. The library mixes UTC and local-time date
// arithmetic: its day lookups take a day at the process's local midnight, its lunar conversion
// counts whole days from a UTC instant, and its solar-term dates are printed in local time from
// a UTC midnight (one day early west of UTC). Each call below hands it the form it reads right,
// so the answers do not depend on the process's time zone.
import chineseDays from 'chinese-days';

export interface LibraryDay {
  /** Chinese name of the public holiday on this day (e.g. 国庆节), null on other days */
  holiday: string | null;
  /** a weekend day declared a working day (调休) */
  makeUpWorkday: boolean;
}

function parts(date: string): [number, number, number] {
  const [y, m, d] = date.split('-').map(Number);
  return [y!, m!, d!];
}

/** Noon of the day in the process's local time: the library's day lookups round it to that day. */
function localNoon(date: string): Date {
  const [y, m, d] = parts(date);
  return new Date(y, m - 1, d, 12);
}

/** The library's word on one day: holiday, make-up workday, or neither. */
export function libraryDay(date: string): LibraryDay {
  const detail = chineseDays.getDayDetail(localNoon(date));
  // Festival days are named "English,中文,n"; plain days carry only the weekday's name.
  const named = detail.name.includes(',') ? detail.name.split(',')[1] ?? detail.name : null;
  const [y, m, d] = parts(date);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return {
    holiday: !detail.work && named ? named : null,
    makeUpWorkday: detail.work && named !== null && (weekday === 0 || weekday === 6),
  };
}

const covered = new Map<number, boolean>();

/** True when the library lists official public holidays (not only weekends) in `year`. */
export function libraryCovers(year: number): boolean {
  let known = covered.get(year);
  if (known === undefined) {
    known = chineseDays.getHolidaysInRange(localNoon(`${year}-01-01`), localNoon(`${year}-12-31`), false).length > 0;
    covered.set(year, known);
  }
  return known;
}

/** The lunar calendar's years the library can convert (its tables run 1900–2100). */
export const LUNAR_YEARS = { first: 1901, last: 2099 } as const;

export interface LunarDay {
  /** lunar year, month (1–12) and day (1–30) */
  year: number;
  month: number;
  day: number;
  /** a day of a leap month (闰月) */
  leap: boolean;
}

/** The lunar date of a calendar day (the library counts whole days from a UTC instant: a date string is read at UTC midnight). */
export function lunarDay(date: string): LunarDay {
  const l = chineseDays.getLunarDate(date);
  return { year: l.lunarYear, month: l.lunarMon, day: l.lunarDay, leap: l.isLeap };
}

/** 清明, the solar term Pure Brightness, in April of `year`. */
export function qingmingOf(year: number): string {
  const printed = chineseDays.getSolarTermDate(year, 4, 'pure_brightness');
  // The library prints the UTC midnight of the day in local time: west of UTC that is the day before.
  const [y, m, d] = parts(printed);
  const shift = new Date(Date.UTC(y, m - 1, d)).getTimezoneOffset() > 0 ? 1 : 0;
  return new Date(Date.UTC(y, m - 1, d + shift)).toISOString().slice(0, 10);
}
