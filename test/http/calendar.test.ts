// The no-cut calendar's schedules through the API, the CLI and the configuration file, on a real
// daemon with an injected clock: who may enter one (admin), what is refused and why, the audit
// trail, precedence (an API entry stands over a changed file), the metric
// feikong_calendar_covered{year,source} and the readiness warning. 2030 and 2031 stand for years
// the installed chinese-days does not cover.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { dropTestDatabase, testDatabaseEnv } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { TestClock } from '../engine/scenario.js';
import { libraryCovers } from '../../src/domain/holiday-library.js';
import { validateConfig, ConfigError } from '../../src/config/load.js';
import { runCli } from '../../src/cli/cli.js';

const SCHEDULE_2030 = {
  holidays: [
    { name: '元旦', from: '2030-01-01' },
    { name: '春节', from: '2030-02-02', to: '2030-02-09' },
    { name: '国庆节', from: '2030-10-01', to: '2030-10-07' },
  ],
  makeUpWorkdays: ['2030-02-10', { date: '2030-09-29', name: '国庆节' }],
};

function metricLines(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('feikong_calendar_covered{'));
}

describe('holiday schedules', () => {
  const started: TestDaemon[] = [];
  const dirs: string[] = [];
  const start = async (at: string, overrides: Record<string, unknown> = {}, dataDir?: string) => {
    const clock = new TestClock(at);
    const fk = await startTestDaemon(overrides, dataDir, clock.now);
    started.push(fk);
    return fk;
  };
  afterEach(async () => {
    for (const fk of started.splice(0)) await fk.stop();
    for (const dir of dirs.splice(0)) {
      dropTestDatabase(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports coverage: a metric per year and source, a readiness warning (not a failure) until the schedule is entered', async () => {
    const fk = await start('2030-11-15T10:00:00+08:00');
    let ready = await fk.api('GET', '/readyz', { role: null });
    expect(ready.status).toBe(200);
    expect(ready.body.ready).toBe(true);
    expect(ready.body.warnings).toHaveLength(2);
    expect(ready.body.warnings[0]).toMatch(/^no official holiday schedule for 2030: public holidays are derived from the calendar \(provisional\)/);
    expect(ready.body.warnings[1]).toMatch(/^no official holiday schedule for 2031: .*PUT \/v1\/calendar\/years\/2031/);
    expect(metricLines((await fk.api('GET', '/metrics', { role: null })).body).sort()).toEqual([
      'feikong_calendar_covered{year="2030",source="derived"} 0',
      'feikong_calendar_covered{year="2031",source="derived"} 0',
    ]);
    const status = await fk.api('GET', '/v1/calendar', { role: 'read-only' });
    expect(status.body).toMatchObject({
      today: '2030-11-15', uncoveredYear: 'derive',
      years: [{ year: 2030, source: 'derived', covered: false }, { year: 2031, source: 'derived', covered: false }],
    });
    expect(status.body.notices.map((n: any) => n.year)).toEqual([2030, 2031]);

    expect((await fk.api('PUT', '/v1/calendar/years/2030', { body: { ...SCHEDULE_2030, reason: '国办发明电 2029' } })).status).toBe(201);
    ready = await fk.api('GET', '/readyz', { role: null });
    expect(ready.body.warnings).toEqual([expect.stringMatching(/^no official holiday schedule for 2031/)]);
    expect(metricLines((await fk.api('GET', '/metrics', { role: null })).body).sort()).toEqual([
      'feikong_calendar_covered{year="2030",source="operator"} 1',
      'feikong_calendar_covered{year="2031",source="derived"} 0',
    ]);
    expect((await fk.api('PUT', '/v1/calendar/years/2031', { body: { holidays: [{ name: '元旦', from: '2031-01-01' }], reason: 'published' } })).status).toBe(201);
    expect((await fk.api('GET', '/readyz', { role: null })).body.warnings).toEqual([]);
  });

  it('asks for the next year only from 1 November; says nothing while holidays are not no-cut days', async () => {
    const fk = await start('2030-10-31T23:00:00+08:00');
    expect((await fk.api('GET', '/readyz', { role: null })).body.warnings).toEqual([expect.stringMatching(/for 2030:/)]);
    const off = await start('2030-11-15T10:00:00+08:00', { engine: { noCut: { holidays: false } } });
    expect((await off.api('GET', '/readyz', { role: null })).body.warnings).toEqual([]);
    expect(metricLines((await off.api('GET', '/metrics', { role: null })).body)).toHaveLength(2);
  });

  it('knows the real situation of 2026 and 2027', async () => {
    const fk = await start('2026-12-07T10:00:00+08:00');
    const lines = metricLines((await fk.api('GET', '/metrics', { role: null })).body);
    expect(lines).toContain('feikong_calendar_covered{year="2026",source="library"} 1');
    expect(lines).toContain(libraryCovers(2027) ? 'feikong_calendar_covered{year="2027",source="library"} 1' : 'feikong_calendar_covered{year="2027",source="derived"} 0');
    const y2026 = (await fk.api('GET', '/v1/calendar/years/2026', { role: 'operator' })).body;
    expect(y2026).toMatchObject({ year: 2026, source: 'library', covered: true, provisional: false, entered: null });
    expect(y2026.holidays).toContainEqual({ name: '国庆节', from: '2026-10-01', to: '2026-10-07' });
    expect(y2026.makeUpWorkdays).toContainEqual({ date: '2026-10-10' });
    const y2030 = (await fk.api('GET', '/v1/calendar/years/2030', { role: 'billing' })).body;
    expect(y2030).toMatchObject({ source: 'derived', covered: false, provisional: true, makeUpWorkdays: [] });
    expect(y2030.holidays).toContainEqual({ name: '春节', from: '2030-02-02', to: '2030-02-08' });
  });

  it('lets only admin keys enter or remove a schedule, refuses bad ones naming the field, and audits every change', async () => {
    const fk = await start('2030-03-01T10:00:00+08:00');
    const body = { ...SCHEDULE_2030, reason: 'State Council notice' };
    expect((await fk.api('PUT', '/v1/calendar/years/2030', { role: 'operator', body })).status).toBe(403);
    expect((await fk.api('PUT', '/v1/calendar/years/2030', { role: 'read-only', body })).status).toBe(403);
    expect((await fk.api('PUT', '/v1/calendar/years/2030', { role: null, body })).status).toBe(401);
    const weekday = await fk.api('PUT', '/v1/calendar/years/2030', { body: { ...body, makeUpWorkdays: ['2030-02-13'] } });
    expect(weekday.status).toBe(400);
    expect(weekday.body.error).toMatchObject({ code: 'VALIDATION', message: 'makeUpWorkdays[0].date: 2030-02-13 is not a Saturday or Sunday: only a weekend day can be made a workday' });
    const outside = await fk.api('PUT', '/v1/calendar/years/2030', { body: { ...body, holidays: [{ name: '春节', from: '2031-01-23' }] } });
    expect(outside.body.error.message).toMatch(/^holidays\[0\]\.from: 2031-01-23 is outside the schedule of 2030/);
    expect((await fk.api('PUT', '/v1/calendar/years/2030', { body: SCHEDULE_2030 })).status).toBe(400); // no reason
    expect((await fk.api('PUT', '/v1/calendar/years/1999', { body })).status).toBe(400);
    expect((await fk.api('DELETE', '/v1/calendar/years/2030')).status).toBe(404);
    expect((await fk.api('GET', '/v1/audit?target=calendar:2030')).body.entries).toEqual([]);

    expect((await fk.api('PUT', '/v1/calendar/years/2030', { body })).status).toBe(201);
    const again = await fk.api('PUT', '/v1/calendar/years/2030', { body: { ...body, makeUpWorkdays: [], reason: 'corrected' } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ source: 'operator', makeUpWorkdays: [], entered: { origin: 'api', actor: 'key:test-admin', reason: 'corrected' } });
    // The engine judges by it at once: Saturday 2030-02-02 10:00 is 春节, official.
    const decisions = await fk.api('GET', '/v1/calendar/years/2030', { role: 'read-only' });
    expect(decisions.body.holidays[1]).toEqual({ name: '春节', from: '2030-02-02', to: '2030-02-09' });
    expect((await fk.api('DELETE', '/v1/calendar/years/2030?reason=entered%20by%20mistake')).body).toMatchObject({ source: 'derived', entered: null });
    const audit = (await fk.api('GET', '/v1/audit?target=calendar:2030')).body.entries;
    expect(audit.map((e: any) => [e.action, e.actor, e.detail.reason])).toEqual([
      ['holiday-schedule-removed', 'key:test-admin', 'entered by mistake'],
      ['holiday-schedule-set', 'key:test-admin', 'corrected'],
      ['holiday-schedule-set', 'key:test-admin', 'State Council notice'],
    ]);
    expect(audit[1].detail.previous.schedule.makeUpWorkdays).toEqual([{ date: '2030-02-10' }, { date: '2030-09-29', name: '国庆节' }]);

    const doc = (await fk.api('GET', '/docs/json', { role: null })).body;
    expect(Object.keys(doc.paths['/v1/calendar/years/{year}'])).toEqual(expect.arrayContaining(['get', 'put', 'delete']));
    expect(doc.paths['/v1/calendar'].get.responses['200']).toBeDefined();
  });

  it('stores the configuration file’s schedules at start; an API entry stands over a changed file; a year dropped from the file goes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feikong-calendar-'));
    dirs.push(dir);
    const fileSchedule = (year: number, days: number) => ({ year, holidays: [{ name: '春节', from: `${year}-02-01`, to: `${year}-02-0${days}` }] });
    let fk = await start('2030-03-01T10:00:00+08:00', { engine: { noCut: { schedules: [fileSchedule(2030, 5), fileSchedule(2031, 5)] } } }, dir);
    expect((await fk.api('GET', '/v1/calendar/years/2031')).body).toMatchObject({ source: 'operator', entered: { origin: 'config', actor: 'config' } });
    expect((await fk.api('PUT', '/v1/calendar/years/2030', { body: { ...SCHEDULE_2030, reason: 'the real one' } })).status).toBe(200);
    await fk.stop();
    started.splice(0);

    fk = await start('2030-03-01T10:00:00+08:00', { engine: { noCut: { schedules: [fileSchedule(2030, 7)] } } }, dir);
    expect((await fk.api('GET', '/v1/calendar/years/2030')).body).toMatchObject({ source: 'operator', entered: { origin: 'api', reason: 'the real one' } });
    expect((await fk.api('GET', '/v1/calendar/years/2031')).body).toMatchObject({ source: 'derived', entered: null });
    const audit = (await fk.api('GET', '/v1/audit?actor=config')).body.entries.map((e: any) => [e.action, e.target]);
    expect(audit).toEqual([
      ['holiday-schedule-removed', 'calendar:2031'],
      ['holiday-schedule-set', 'calendar:2031'],
      ['holiday-schedule-set', 'calendar:2030'],
    ]);
  });

  it('refuses a bad schedule in the configuration, naming the key', () => {
    let caught: unknown;
    try {
      validateConfig({ engine: { noCut: { schedules: [{ year: 2030, holidays: [{ name: '春节', from: '2030-02-02' }], makeUpWorkdays: ['2030-02-02'] }] } } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).key).toBe('engine.noCut.schedules.0.makeUpWorkdays.0.date');
    expect((caught as ConfigError).message).toMatch(/also listed as a holiday/);
    expect(() => validateConfig({ engine: { noCut: { uncoveredYear: 'ignore' } } })).toThrow(/engine.noCut.uncoveredYear.*"derive", "suspend"/);
  });

  it('enters a schedule with the CLI; the running daemon follows within a sweep', async () => {
    const fk = await start('2030-03-01T10:00:00+08:00', { engine: { sweepIntervalMs: 200 } });
    const file = join(fk.dataDir, 'schedule-2030.json');
    writeFileSync(file, JSON.stringify(SCHEDULE_2030));
    const cli = (args: string[]) => {
      let out = '';
      let err = '';
      const sink = (add: (s: string) => void) => new Writable({ write(chunk, _enc, done) { add(String(chunk)); done(); } });
      const env = { FEIKONG_DATA_DIR: fk.dataDir, ...testDatabaseEnv(fk.dataDir), USER: 'tester' };
      const code = runCli(args, { out: sink((s) => (out += s)), err: sink((s) => (err += s)), env });
      return { code, out, err };
    };
    expect(cli(['calendar', 'set', '2030', file]).code).toBe(2); // no reason
    const bad = join(fk.dataDir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...SCHEDULE_2030, makeUpWorkdays: ['2030-02-13'] }));
    const refused = cli(['calendar', 'set', '2030', bad, '--reason', 'notice']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/VALIDATION: makeUpWorkdays\[0\]\.date: 2030-02-13 is not a Saturday or Sunday/);

    const set = cli(['calendar', 'set', '2030', file, '--reason', '国办发明电〔2029〕7号']);
    expect(set.code).toBe(0);
    expect(set.out).toMatch(/entered the holiday schedule of 2030/);
    expect(set.out).toMatch(/holiday {2}2030-02-02 – 2030-02-09 {2}春节/);
    expect(set.out).toMatch(/workday {2}2030-09-29 +makes up for 国庆节/);
    await eventually(async () => expect((await fk.api('GET', '/v1/calendar', { role: 'read-only' })).body.years[0]).toEqual({ year: 2030, source: 'operator', covered: true }), 10_000);
    expect((await fk.api('GET', '/v1/calendar/years/2030')).body.entered).toMatchObject({ origin: 'cli', actor: 'cli:tester' });
    expect(cli(['calendar', 'status']).out).toMatch(/^\d{4} {2}(covered|NOT COVERED)/);
    expect(cli(['calendar', 'show', '2030']).out).toMatch(/^2030: official schedule \(source operator, entered by cli:tester \(cli\)/);
    expect(cli(['calendar', 'remove', '2030']).code).toBe(2); // no reason
    expect(cli(['calendar', 'remove', '2030', '--reason', 'wrong year']).out).toMatch(/now:\n2030: no official schedule \(source derived\)/);
    expect(cli(['calendar', 'show', '1999']).code).toBe(2);
  });
});
