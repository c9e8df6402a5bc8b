// The no-cut calendar in 2027, a year whose official schedule the chinese-days library does not
// have, over a simulated DL/T 645 bus with the clock injected (daemon and meters share it): an
// account in arrears is not cut on New Year's Day (a derived, provisional holiday) and is cut on
// the first working day; an operator's 2027 schedule entered through the API takes precedence
// over the derived holidays — its make-up workday (a Saturday) is a cut-off day, its holidays
// are not. Runs on SQLite and on PostgreSQL (FK_TEST_DATABASE=postgres).
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { controlsOf, startScenario, type Scenario } from '../engine/scenario.js';
import { libraryCovers } from '../../src/domain/holiday-library.js';

const A1 = '000000000101';
const A2 = '000000000102';
// A payment of 10 fen with the cut-off level at 20 fen: in arrears and warned (alarm level 2) at once.
const LEVELS = { alarmLevel1Fen: 100, alarmLevel2Fen: 50, cutoffLevelFen: 20, restoreLevelFen: 20 };

/** A 2027 schedule as the State Council might publish it (the real one is entered when it is out). */
const SCHEDULE_2027 = {
  holidays: [
    { name: '元旦', from: '2027-01-01', to: '2027-01-03' },
    { name: '春节', from: '2027-02-06', to: '2027-02-13' },
    { name: '清明', from: '2027-04-03', to: '2027-04-05' },
    { name: '劳动节', from: '2027-05-01', to: '2027-05-05' },
    { name: '端午', from: '2027-06-09' },
    { name: '中秋', from: '2027-09-15' },
    { name: '国庆节', from: '2027-10-01', to: '2027-10-07' },
  ],
  makeUpWorkdays: [{ date: '2027-02-20', name: '春节' }, { date: '2027-10-09', name: '国庆节' }],
  reason: '国务院办公厅关于2027年部分节假日安排的通知 (test)',
};

describe('engine: the no-cut calendar of 2027', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('does not cut off an account in arrears on 2027-01-01; does on Monday 2027-01-04', async () => {
    s = await startScenario({ at: '2027-01-01T10:00:00+08:00', meters: [{ address: A1 }] });
    const meterId = await s.supplyPoint('acc-1', A1, LEVELS);
    await eventually(async () => expect((await s!.fk.api('GET', `/v1/meters/${meterId}`)).body.relayState).toBe('closed'));
    await s.pay('acc-1', 10, 'wx-1');
    for (let i = 0; i < 3; i++) await s.fk.daemon.engine.sweep();
    const official = libraryCovers(2027);
    const why = (await s.fk.api('GET', `/v1/meters/${meterId}/why`, { role: 'operator' })).body;
    expect(why).toMatchObject({
      action: 'none', rule: 'no-cut-window',
      window: official
        ? { noCut: true, reason: 'holiday:元旦', provisional: false, calendar: 'library' }
        : { noCut: true, reason: 'holiday:元旦 (provisional)', windows: ['holiday:元旦 (provisional)'], provisional: true, calendar: 'derived' },
    });
    expect(why.reason).toMatch(/no-cut window: holiday:元旦/);
    expect(s.sim.meter(A1).controls).toEqual([]);

    s.clock.set('2027-01-04T10:00:00+08:00');
    await eventually(() => expect(controlsOf(s!.sim, A1)).toEqual(['trip:ok']), 15_000);
    await eventually(async () => expect((await s!.fk.api('GET', `/v1/meters/${meterId}`)).body.relayState).toBe('open'));
  });

  it("follows an operator's 2027 schedule over the derived holidays: a make-up workday cuts, an entered holiday does not", async () => {
    // Saturday 2027-02-20: a weekend by derivation, a make-up workday in the schedule.
    s = await startScenario({ at: '2027-02-20T10:00:00+08:00', meters: [{ address: A1 }, { address: A2 }] });
    const m1 = await s.supplyPoint('acc-1', A1, LEVELS);
    await eventually(async () => expect((await s!.fk.api('GET', `/v1/meters/${m1}`)).body.relayState).toBe('closed'));
    await s.pay('acc-1', 10, 'wx-1');
    for (let i = 0; i < 3; i++) await s.fk.daemon.engine.sweep();
    expect((await s.fk.api('GET', `/v1/meters/${m1}/why`, { role: 'operator' })).body.window).toMatchObject({ noCut: true, reason: 'weekend' });
    expect(s.sim.meter(A1).controls).toEqual([]);

    const put = await s.fk.api('PUT', '/v1/calendar/years/2027', { body: SCHEDULE_2027 });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ year: 2027, source: 'operator', covered: true, provisional: false, entered: { origin: 'api', actor: 'key:test-admin' } });
    expect(put.body.makeUpWorkdays).toEqual([{ date: '2027-02-20', name: '春节' }, { date: '2027-10-09', name: '国庆节' }]);

    // The make-up workday is a working day now: the account is cut off.
    await eventually(() => expect(controlsOf(s!.sim, A1)).toEqual(['trip:ok']), 15_000);
    const after = (await s.fk.api('GET', `/v1/meters/${m1}/why`, { role: 'operator' })).body;
    expect(after.window).toMatchObject({ noCut: false, windows: [], calendar: 'operator' });

    // Friday 2027-02-12: a working day by derivation (the derived break ends on 初六, the 11th),
    // a holiday in the schedule: not cut, and the window is official, not provisional.
    // (acc-2 is created only now: a new account's alarm state counts from its creation, so one
    // created on the 20th would be cut on the make-up workday too)
    s.clock.set('2027-02-12T10:00:00+08:00');
    const m2 = await s.supplyPoint('acc-2', A2, LEVELS);
    await eventually(async () => expect((await s!.fk.api('GET', `/v1/meters/${m2}`)).body.relayState).toBe('closed'));
    await s.pay('acc-2', 10, 'wx-2');
    for (let i = 0; i < 3; i++) await s.fk.daemon.engine.sweep();
    const why2 = (await s.fk.api('GET', `/v1/meters/${m2}/why`, { role: 'operator' })).body;
    expect(why2).toMatchObject({ rule: 'no-cut-window', window: { noCut: true, reason: 'holiday:春节', provisional: false, calendar: 'operator' } });
    expect(s.sim.meter(A2).controls).toEqual([]);
    // Without the schedule the same instant would be a cut-off time.
    const removed = await s.fk.api('DELETE', '/v1/calendar/years/2027?reason=checking%20the%20fallback');
    expect(removed.body).toMatchObject({ source: libraryCovers(2027) ? 'library' : 'derived', entered: null });
    await eventually(() => expect(controlsOf(s!.sim, A2)).toEqual(['trip:ok']), 15_000);

    const audit = (await s.fk.api('GET', '/v1/audit?target=calendar:2027')).body;
    expect(audit.entries.map((e: any) => [e.action, e.actor])).toEqual([
      ['holiday-schedule-removed', 'key:test-admin'],
      ['holiday-schedule-set', 'key:test-admin'],
    ]);
  });
});
