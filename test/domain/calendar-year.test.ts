// The no-cut calendar in a year without its official schedule (2027: chinese-days 1.5.7 has none),
// with the clock given as instants: derived provisional holidays, or no cut-offs at all by
// setting; operators' schedules ahead of the library and of derivation; every window named.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LIBRARY_CALENDAR, isNightAt, localParts, noCutVerdict } from '../../src/domain/calendar.js';
import { HolidayCalendar } from '../../src/domain/holiday-calendar.js';
import { addDays, deriveHolidays, deriveYear, weekdayOf } from '../../src/domain/holiday-derivation.js';
import { libraryCovers, libraryDay, lunarDay, qingmingOf } from '../../src/domain/holiday-library.js';
import { ScheduleError, parseYearSchedule } from '../../src/domain/holiday-schedule.js';
import type { NoCutConfig } from '../../src/config/schema.js';

const OFFSET = 480;
const ALL: NoCutConfig = { nights: true, nightStart: '18:00', nightEnd: '08:00', weekends: true, holidays: true };
/** The calendar a year without an official schedule gets, whatever the installed library knows. */
const UNCOVERED = new HolidayCalendar([], 'derive', () => false);

function local(date: string, hhmm: string): number {
  return Date.parse(`${date}T${hhmm}:00+08:00`);
}

describe('2027 with the library as it is', () => {
  it.each([
    ['2027-01-01', '元旦', "New Year's Day"],
    ['2027-02-08', '春节', 'Monday of the Spring Festival week'],
    ['2027-10-01', '国庆节', 'National Day'],
  ])('%s 10:00 is a no-cut day (%s, %s)', (date, name) => {
    const v = noCutVerdict(local(date, '10:00'), ALL, OFFSET, LIBRARY_CALENDAR);
    expect(v.noCut).toBe(true);
    // Official once a chinese-days release has 2027; provisional (derived) until then.
    const official = libraryCovers(2027);
    expect(v.windows).toContain(official ? `holiday:${name}` : `holiday:${name} (provisional)`);
    expect(v.provisional).toBe(!official);
    expect(v.calendar).toBe(official ? 'library' : 'derived');
  });

  it('an ordinary Monday, 2027-01-04 10:00, is not a no-cut time', () => {
    expect(noCutVerdict(local('2027-01-04', '10:00'), ALL, OFFSET, LIBRARY_CALENDAR)).toMatchObject({ noCut: false, windows: [] });
  });
});

describe('a year without its official schedule: derived holidays', () => {
  it('marks each derived holiday provisional in the reason', () => {
    expect(noCutVerdict(local('2027-01-01', '10:00'), ALL, OFFSET, UNCOVERED)).toEqual({
      noCut: true, reason: 'holiday:元旦 (provisional)', windows: ['holiday:元旦 (provisional)'], calendar: 'derived', provisional: true,
    });
  });

  it('names every window at 02:00 on National Day, and on a holiday weekend', () => {
    expect(noCutVerdict(local('2027-10-01', '02:00'), ALL, OFFSET, UNCOVERED).reason).toBe('night, holiday:国庆节 (provisional)');
    // Saturday 2027-10-02
    expect(noCutVerdict(local('2027-10-02', '02:00'), ALL, OFFSET, UNCOVERED).windows).toEqual(['night', 'holiday:国庆节 (provisional)', 'weekend']);
  });

  it('derives the 2027 holidays from the lunar calendar and the solar term', () => {
    const spans = [...deriveHolidays(2027)].map(([date, names]) => `${date} ${names.join('+')}`);
    const expected = [
      // 元旦: Friday 1 January, with the weekend
      '2027-01-01 元旦', '2027-01-02 元旦', '2027-01-03 元旦',
      // 春节: 正月初一 is Saturday 6 February; 除夕 5 February to 初六 11 February
      '2027-02-05 春节', '2027-02-06 春节', '2027-02-07 春节', '2027-02-08 春节', '2027-02-09 春节', '2027-02-10 春节', '2027-02-11 春节',
      // 清明: Monday 5 April, with the weekend before
      '2027-04-03 清明', '2027-04-04 清明', '2027-04-05 清明',
      '2027-05-01 劳动节', '2027-05-02 劳动节', '2027-05-03 劳动节', '2027-05-04 劳动节', '2027-05-05 劳动节',
      // 端午 (五月初五) and 中秋 (八月十五) fall on Wednesdays: one day each
      '2027-06-09 端午', '2027-09-15 中秋',
      '2027-10-01 国庆节', '2027-10-02 国庆节', '2027-10-03 国庆节', '2027-10-04 国庆节', '2027-10-05 国庆节', '2027-10-06 国庆节', '2027-10-07 国庆节',
    ];
    expect(spans).toEqual(expected);
  });

  it("finds every festival's own day among the official holidays of 2016–2026 (the library's years)", () => {
    for (let year = 2016; year <= 2026; year++) {
      const derived = deriveHolidays(year);
      const lunarOwn = [...derived.keys()].filter((d) => {
        const l = lunarDay(d);
        return !l.leap && ((l.month === 1 && l.day === 1) || (l.month === 5 && l.day === 5) || (l.month === 8 && l.day === 15));
      });
      expect(lunarOwn, String(year)).toHaveLength(3); // 正月初一, 端午, 中秋
      const ownDays = [`${year}-01-01`, qingmingOf(year), `${year}-05-01`, `${year}-10-01`, ...lunarOwn];
      for (const day of ownDays) {
        expect(derived.has(day), `${day} derived`).toBe(true);
        expect(libraryDay(day).holiday, `${day} official`).not.toBeNull();
      }
    }
  });

  it('joins the Mid-Autumn Festival to National Day when it falls in its week (2025: 6 October)', () => {
    const derived = deriveHolidays(2025);
    expect(derived.get('2025-10-06')).toEqual(['中秋', '国庆节']);
    expect(derived.get('2025-10-08')).toEqual(['国庆节']);
    expect(libraryDay('2025-10-08').holiday).toBe('国庆节');
  });

  it('gives the same days in any time zone of the process', () => {
    const before = process.env.TZ;
    const years = [2025, 2026, 2027, 2028, 2029, 2030];
    const utc = JSON.stringify(years.map((y) => [...deriveYear(y)]));
    const qingming = years.map(qingmingOf);
    expect(qingming).toEqual(['2025-04-04', '2026-04-05', '2027-04-05', '2028-04-04', '2029-04-04', '2030-04-05']);
    try {
      for (const [tz, offset] of [['America/Los_Angeles', 480], ['Asia/Shanghai', -480], ['Pacific/Kiritimati', -840]] as const) {
        process.env.TZ = tz;
        expect(new Date(Date.UTC(2027, 0, 1)).getTimezoneOffset(), tz).toBe(offset); // the process runs in that zone now
        expect(years.map(qingmingOf), tz).toEqual(qingming);
        expect(JSON.stringify(years.map((y) => [...deriveYear(y)])), tz).toBe(utc);
        expect(libraryDay('2026-10-01').holiday, tz).toBe('国庆节');
        expect(libraryDay('2026-10-10').makeUpWorkday, tz).toBe(true);
      }
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });
});

describe('a year without its official schedule: cut-offs suspended', () => {
  const SUSPEND = new HolidayCalendar([], 'suspend', (y) => y <= 2026);

  it('makes every day of the uncovered year a no-cut day, and leaves covered years alone', () => {
    expect(noCutVerdict(local('2027-03-10', '10:00'), ALL, OFFSET, SUSPEND)).toMatchObject({ noCut: true, reason: 'calendar-uncovered:2027', calendar: 'suspended' });
    expect(noCutVerdict(local('2026-11-25', '10:00'), ALL, OFFSET, SUSPEND)).toMatchObject({ noCut: false, calendar: 'library' });
    expect(SUSPEND.coverage(2027)).toEqual({ year: 2027, source: 'suspended', covered: false });
  });

  it('only while public holidays are no-cut days', () => {
    expect(noCutVerdict(local('2027-03-10', '10:00'), { ...ALL, holidays: false }, OFFSET, SUSPEND).noCut).toBe(false);
  });
});

describe("operators' schedules", () => {
  // A 2027 schedule as the State Council might publish it: the Spring Festival from 初一 to 初八
  // (not from 除夕, as derived), Saturday 20 February a make-up workday.
  const s2027 = parseYearSchedule(2027, {
    holidays: [
      { name: '元旦', from: '2027-01-01', to: '2027-01-03' },
      { name: '春节', from: '2027-02-06', to: '2027-02-13' },
      { name: '国庆节', from: '2027-10-01', to: '2027-10-07' },
    ],
    makeUpWorkdays: [{ date: '2027-02-20', name: '春节' }],
  });
  const calendar = new HolidayCalendar([s2027], 'derive', () => false);

  it('take precedence over derivation: official holidays, make-up workdays, the derived eve a workday', () => {
    expect(calendar.coverage(2027)).toEqual({ year: 2027, source: 'operator', covered: true });
    expect(noCutVerdict(local('2027-02-12', '10:00'), ALL, OFFSET, calendar)).toMatchObject({ noCut: true, reason: 'holiday:春节', provisional: false, calendar: 'operator' });
    expect(weekdayOf('2027-02-20')).toBe(6);
    expect(noCutVerdict(local('2027-02-20', '10:00'), ALL, OFFSET, calendar)).toMatchObject({ noCut: false, calendar: 'operator' });
    expect(noCutVerdict(local('2027-02-20', '10:00'), { ...ALL, makeUpWorkdays: false }, OFFSET, calendar).reason).toBe('weekend');
    // 除夕, Friday 5 February: derived as a holiday, a workday in the entered schedule.
    expect(UNCOVERED.day('2027-02-05').holidays).toEqual(['春节']);
    expect(noCutVerdict(local('2027-02-05', '10:00'), ALL, OFFSET, calendar).noCut).toBe(false);
    // 清明 is not in this schedule: an ordinary Monday.
    expect(noCutVerdict(local('2027-04-05', '10:00'), ALL, OFFSET, calendar).noCut).toBe(false);
  });

  it("take precedence over the library's schedule", () => {
    const s2026 = parseYearSchedule(2026, { holidays: [{ name: '国庆节', from: '2026-10-01', to: '2026-10-08' }] });
    const both = new HolidayCalendar([s2026]);
    expect(libraryDay('2026-10-08').holiday).toBeNull();
    expect(noCutVerdict(local('2026-10-08', '10:00'), ALL, OFFSET, both).reason).toBe('holiday:国庆节');
    // The library's make-up workday of Saturday 10 October is not in the entered schedule: a weekend.
    expect(noCutVerdict(local('2026-10-10', '10:00'), ALL, OFFSET, both).reason).toBe('weekend');
  });

  it('a New Year break that starts in December follows the next year’s schedule', () => {
    const s = parseYearSchedule(2027, { holidays: [{ name: '元旦', from: '2026-12-31', to: '2027-01-02' }] });
    const c = new HolidayCalendar([s]);
    expect(noCutVerdict(local('2026-12-31', '10:00'), ALL, OFFSET, c).reason).toBe('holiday:元旦');
    expect(noCutVerdict(local('2026-12-30', '10:00'), ALL, OFFSET, c)).toMatchObject({ noCut: false, calendar: 'library' });
  });

  it.each([
    [{ holidays: [] }, 'holidays', /a list of 1 to 60/],
    [{ holidays: [{ name: '春节', from: '2027-02-30' }] }, 'holidays[0].from', /a calendar date YYYY-MM-DD, got "2027-02-30"/],
    [{ holidays: [{ name: '春节', from: '2028-02-01' }] }, 'holidays[0].from', /outside the schedule of 2027 \(2026-12-01 to 2027-12-31\)/],
    [{ holidays: [{ name: '春节', from: '2027-02-10', to: '2027-02-06' }] }, 'holidays[0].to', /before/],
    [{ holidays: [{ name: '', from: '2027-02-10' }] }, 'holidays[0].name', /1 to 32 characters/],
    [{ holidays: [{ name: '春节', from: '2027-01-01', to: '2027-03-01' }] }, 'holidays[0]', /longer than 31 days/],
    [{ holidays: [{ name: '春节', from: '2027-02-06', days: 3 }] }, 'holidays[0].days', /unknown field/],
    [{ holidays: [{ name: '春节', from: '2027-02-06' }], makeUpWorkdays: ['2027-02-17'] }, 'makeUpWorkdays[0].date', /not a Saturday or Sunday/],
    [{ holidays: [{ name: '春节', from: '2027-02-06' }], makeUpWorkdays: ['2027-02-06'] }, 'makeUpWorkdays[0].date', /also listed as a holiday/],
    [{ holidays: [{ name: '春节', from: '2027-02-06' }], makeUpWorkdays: ['2027-02-20', { date: '2027-02-20' }] }, 'makeUpWorkdays[1].date', /listed twice/],
    [{ year: 2028, holidays: [{ name: '春节', from: '2027-02-06' }] }, 'year', /the schedule says 2028, the request 2027/],
    [{ holidays: [{ name: '春节', from: '2027-02-06' }], extra: 1 }, 'extra', /unknown field/],
  ])('refuses a bad schedule, naming the field: %j', (input, field, message) => {
    let caught: unknown;
    try {
      parseYearSchedule(2027, input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ScheduleError);
    expect((caught as ScheduleError).field).toBe(field);
    expect((caught as ScheduleError).message).toMatch(message);
  });
});

describe('every window that applies is named (property)', () => {
  const configs = fc.record({
    nights: fc.boolean(), weekends: fc.boolean(), holidays: fc.boolean(), makeUpWorkdays: fc.boolean(),
    nightStart: fc.constantFrom('18:00', '22:00', '00:30'), nightEnd: fc.constantFrom('08:00', '06:00', '12:00'),
  });
  const calendars = [LIBRARY_CALENDAR, UNCOVERED, new HolidayCalendar([], 'suspend', () => false)];

  it('noCut iff a window applies; the reason lists them all; night, holidays and weekend each when their rule says', () => {
    fc.assert(fc.property(
      fc.integer({ min: Date.parse('2025-12-01T00:00:00Z'), max: Date.parse('2028-01-31T00:00:00Z') }), configs, fc.constantFrom(0, 1, 2),
      (at, config, which) => {
        const calendar = calendars[which]!;
        const v = noCutVerdict(at, config, OFFSET, calendar);
        const { date, minute, weekday } = localParts(at, OFFSET);
        const day = calendar.day(date);
        expect(v.noCut).toBe(v.windows!.length > 0);
        expect(v.reason).toBe(v.noCut ? v.windows!.join(', ') : undefined);
        expect(v.windows!.includes('night')).toBe(config.nights && isNightAt(minute, config.nightStart, config.nightEnd));
        const holidays = v.windows!.filter((w) => w.startsWith('holiday:'));
        expect(holidays.length).toBe(config.holidays ? day.holidays.length : 0);
        expect(v.provisional).toBe(holidays.length > 0 && day.source === 'derived');
        const weekend = weekday === 0 || weekday === 6;
        expect(v.windows!.includes('weekend')).toBe(config.weekends && weekend && (!day.makeUpWorkday || !config.makeUpWorkdays));
        // Fail safe: a derived holiday of an uncovered year is never a cut-off day.
        if (which === 1 && config.holidays && deriveHolidays(Number(date.slice(0, 4))).has(date)) expect(v.noCut).toBe(true);
      },
    ), { numRuns: 400 });
  });

  it('derivation lists only days of its year, each a known holiday name', () => {
    fc.assert(fc.property(fc.integer({ min: 1901, max: 2099 }), (year) => {
      const days = deriveHolidays(year);
      // at least 元旦 1, 春节 7, 清明 1, 劳动节 5, 端午 1, 国庆节 7 (中秋 may fall in its week)
      expect(days.size).toBeGreaterThanOrEqual(1 + 7 + 1 + 5 + 1 + 7);
      for (const [date, names] of days) {
        expect(date.startsWith(`${year}-`)).toBe(true);
        expect(addDays(date, 0)).toBe(date);
        for (const n of names) expect(['元旦', '春节', '清明', '劳动节', '端午', '中秋', '国庆节']).toContain(n);
      }
    }), { numRuns: 60 });
  });
});
