// The no-cut calendar at UTC+8 in 2026, a year the chinese-days library covers: nights (windows
// across midnight and not), weekends, China's public holidays and the make-up workdays (调休)
// that are not weekends for this purpose; every window that applies is named.
import { describe, expect, it } from 'vitest';
import { isNightAt, localParts, noCutVerdict as fullVerdict } from '../../src/domain/calendar.js';
import type { NoCutConfig } from '../../src/config/schema.js';

/** The verdict's decision and reason (calendar-year.test.ts looks at the rest). */
function noCutVerdict(at: number, config: NoCutConfig, offset: number): { noCut: boolean; reason?: string } {
  const v = fullVerdict(at, config, offset);
  expect(v.calendar).toBe('library');
  expect(v.provisional).toBe(false);
  expect(v.reason).toBe(v.noCut ? v.windows!.join(', ') : undefined);
  return v.noCut ? { noCut: true, reason: v.reason! } : { noCut: false };
}

const OFFSET = 480;
const ALL: NoCutConfig = { nights: true, nightStart: '18:00', nightEnd: '08:00', weekends: true, holidays: true };
const DAYS_ONLY: NoCutConfig = { ...ALL, nights: false };

/** The instant of a local wall-clock time at UTC+8. */
function local(date: string, hhmm: string): number {
  return Date.parse(`${date}T${hhmm}:00+08:00`);
}

describe('localParts', () => {
  it('turns an instant into the local date, minute and weekday at UTC+8', () => {
    // 2026-11-22 20:30 UTC, a Sunday, is 04:30 on Monday 2026-11-23 in China
    expect(localParts(Date.UTC(2026, 10, 22, 20, 30), OFFSET)).toEqual({ date: '2026-11-23', minute: 4 * 60 + 30, weekday: 1 });
  });
});

describe('isNightAt', () => {
  it.each([
    // minute, start, end, night?
    [20 * 60, '18:00', '08:00', true],
    [0, '18:00', '08:00', true],
    [7 * 60 + 59, '18:00', '08:00', true],
    [8 * 60, '18:00', '08:00', false], // the end is exclusive
    [17 * 60 + 59, '18:00', '08:00', false],
    [18 * 60, '18:00', '08:00', true], // the start is inclusive
    [3 * 60, '01:00', '05:00', true], // a window that does not cross midnight
    [0, '01:00', '05:00', false],
    [5 * 60, '01:00', '05:00', false],
    [23 * 60, '01:00', '05:00', false],
  ])('minute %i in %s–%s is night: %s', (minute, start, end, night) => {
    expect(isNightAt(minute, start, end)).toBe(night);
  });
});

describe('noCutVerdict', () => {
  it('an ordinary Monday 2026-11-23 10:00 is not a no-cut time', () => {
    expect(noCutVerdict(local('2026-11-23', '10:00'), ALL, OFFSET)).toEqual({ noCut: false });
  });

  it.each([
    ['2026-11-23', '18:00'],
    ['2026-11-23', '23:59'],
    ['2026-11-24', '00:00'],
    ['2026-11-24', '07:59'],
  ])('%s %s on a weekday is night', (date, time) => {
    expect(noCutVerdict(local(date, time), ALL, OFFSET)).toEqual({ noCut: true, reason: 'night' });
  });

  it.each([
    ['2026-11-23', '08:00'],
    ['2026-11-23', '17:59'],
  ])('%s %s on a weekday is daytime', (date, time) => {
    expect(noCutVerdict(local(date, time), ALL, OFFSET).noCut).toBe(false);
  });

  it('a night window that does not cross midnight', () => {
    const config = { ...ALL, nightStart: '12:00', nightEnd: '14:00' };
    expect(noCutVerdict(local('2026-11-23', '13:00'), config, OFFSET)).toEqual({ noCut: true, reason: 'night' });
    expect(noCutVerdict(local('2026-11-23', '14:00'), config, OFFSET).noCut).toBe(false);
    expect(noCutVerdict(local('2026-11-23', '23:00'), config, OFFSET).noCut).toBe(false);
  });

  it('nights can be switched off', () => {
    expect(noCutVerdict(local('2026-11-23', '23:00'), DAYS_ONLY, OFFSET)).toEqual({ noCut: false });
  });

  it.each([['2026-11-21'], ['2026-11-22']])('%s (a weekend day) is a no-cut day', (date) => {
    expect(noCutVerdict(local(date, '10:00'), ALL, OFFSET)).toEqual({ noCut: true, reason: 'weekend' });
  });

  it('weekends can be switched off', () => {
    expect(noCutVerdict(local('2026-11-21', '10:00'), { ...ALL, weekends: false }, OFFSET)).toEqual({ noCut: false });
  });

  it('judges the day in local time, not UTC', () => {
    // Sunday 20:00 UTC is Monday 04:00 in China: a working day once nights are off.
    expect(noCutVerdict(Date.UTC(2026, 10, 22, 20, 0), DAYS_ONLY, OFFSET)).toEqual({ noCut: false });
    // Thursday 2026-10-01 01:00 in China is still 2026-09-30 in UTC.
    expect(noCutVerdict(Date.UTC(2026, 8, 30, 17, 0), DAYS_ONLY, OFFSET)).toEqual({ noCut: true, reason: 'holiday:国庆节' });
  });

  it('National Day 2026-10-01 (a Thursday) is a holiday', () => {
    expect(noCutVerdict(local('2026-10-01', '10:00'), ALL, OFFSET)).toEqual({ noCut: true, reason: 'holiday:国庆节' });
  });

  it('a holiday on a weekend is named with the weekend', () => {
    // Saturday 2026-10-03, in the National Day break
    expect(noCutVerdict(local('2026-10-03', '10:00'), ALL, OFFSET)).toEqual({ noCut: true, reason: 'holiday:国庆节, weekend' });
    expect(noCutVerdict(local('2026-10-03', '10:00'), { ...ALL, weekends: false }, OFFSET)).toEqual({ noCut: true, reason: 'holiday:国庆节' });
  });

  it('names every window that applies: night on National Day, night on a holiday weekend', () => {
    expect(noCutVerdict(local('2026-10-01', '02:00'), ALL, OFFSET)).toEqual({ noCut: true, reason: 'night, holiday:国庆节' });
    expect(fullVerdict(local('2026-10-03', '02:00'), ALL, OFFSET).windows).toEqual(['night', 'holiday:国庆节', 'weekend']);
    expect(noCutVerdict(local('2026-11-21', '23:00'), ALL, OFFSET)).toEqual({ noCut: true, reason: 'night, weekend' });
  });

  it('a weekday off in the Spring Festival break is a holiday', () => {
    // Monday 2026-02-16
    expect(noCutVerdict(local('2026-02-16', '10:00'), ALL, OFFSET)).toEqual({ noCut: true, reason: 'holiday:春节' });
  });

  it('holidays can be switched off', () => {
    expect(noCutVerdict(local('2026-10-01', '10:00'), { ...ALL, holidays: false }, OFFSET)).toEqual({ noCut: false });
  });

  it.each([
    ['2026-02-14', 'Spring Festival make-up workday'],
    ['2026-10-10', 'National Day make-up workday'],
  ])('Saturday %s (%s, 调休) is not a no-cut day', (date) => {
    expect(new Date(local(date, '10:00') + OFFSET * 60_000).getUTCDay()).toBe(6);
    expect(noCutVerdict(local(date, '10:00'), ALL, OFFSET)).toEqual({ noCut: false });
  });

  it('a make-up workday still has its night', () => {
    expect(noCutVerdict(local('2026-02-14', '22:00'), ALL, OFFSET)).toEqual({ noCut: true, reason: 'night' });
  });

  it('makeUpWorkdays: false keeps a make-up workday a no-cut weekend', () => {
    expect(noCutVerdict(local('2026-02-14', '10:00'), { ...ALL, makeUpWorkdays: false }, OFFSET)).toEqual({ noCut: true, reason: 'weekend' });
  });
});
