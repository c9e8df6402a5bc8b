// Automatic cut-off over a simulated DL/T 645 bus: only after alarm level 2 and the grace period,
// never in a no-cut window (night, public holiday), allowed on a make-up workday (调休), each
// confirmed by reading status word 3 back. The clock is injected: daemon and meters share it.
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { controlsOf, startScenario, type Scenario } from '../engine/scenario.js';

const A1 = '000000000101';
// A payment of 10 fen with the cut-off level at 20 fen: in arrears and warned (alarm level 2) at once.
const LEVELS = { alarmLevel1Fen: 100, alarmLevel2Fen: 50, cutoffLevelFen: 20, restoreLevelFen: 20 };

describe('engine: automatic cut-off', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('cuts off only after alarm level 2 and the grace period, confirmed by read-back', async () => {
    const GRACE_MS = 2500;
    s = await startScenario({ at: '2026-11-25T10:00:00+08:00', meters: [{ address: A1 }], engine: { graceMs: GRACE_MS } });
    const meterId = await s.supplyPoint('acc-1', A1, LEVELS);
    await eventually(async () => expect((await s!.fk.api('GET', `/v1/meters/${meterId}`)).body.relayState).toBe('closed'));
    await s.pay('acc-1', 10, 'wx-1');

    const inGrace = await s.fk.api('GET', `/v1/meters/${meterId}/why`, { role: 'read-only' });
    expect(inGrace.status).toBe(200);
    expect(inGrace.body).toMatchObject({ action: 'none', rule: 'in-grace', balanceFen: 10, protected: false });
    expect(inGrace.body.lastWarning.alarmLevel2At).not.toBeNull();
    expect(inGrace.body.trace.find((t: any) => t.check === 'grace period over').passed).toBe(false);

    await eventually(() => expect(s!.sim.meter(A1).relayStatus().relayOpen).toBe(true), 15_000);
    const commands = await eventually(async () => {
      const r = await s!.fk.api('GET', `/v1/meters/${meterId}/commands`, { role: 'operator' });
      expect(r.body.commands[0]).toMatchObject({ action: 'disconnect', state: 'confirmed', outcome: 'confirmed', origin: 'engine' });
      return r.body.commands;
    });
    const account = (await s.fk.api('GET', '/v1/accounts/acc-1')).body;
    expect(Date.parse(commands[0].createdAt) - Date.parse(account.alarm2At)).toBeGreaterThanOrEqual(GRACE_MS);
    expect(controlsOf(s.sim, A1)).toEqual(['trip:ok']);
    const after = (await s.fk.api('GET', `/v1/meters/${meterId}/why`, { role: 'read-only' })).body;
    expect(after).toMatchObject({ action: 'none', rule: 'supply-off', relay: { state: 'open' } });
  });

  it('does not cut off at night; cuts off when the morning comes', async () => {
    s = await startScenario({ at: '2026-11-24T23:00:00+08:00', meters: [{ address: A1 }] });
    const meterId = await s.supplyPoint('acc-1', A1, LEVELS);
    await eventually(async () => expect((await s!.fk.api('GET', `/v1/meters/${meterId}`)).body.relayState).toBe('closed'));
    await s.pay('acc-1', 10, 'wx-1');
    for (let i = 0; i < 3; i++) await s.fk.daemon.engine.sweep();
    const why = (await s.fk.api('GET', `/v1/accounts/acc-1/why`, { role: 'operator' })).body;
    expect(why.decisions[0]).toMatchObject({ meterId, action: 'none', rule: 'no-cut-window', window: { noCut: true, reason: 'night' } });
    expect(s.sim.meter(A1).controls).toEqual([]);

    s.clock.set('2026-11-25T08:00:30+08:00');
    await eventually(() => expect(controlsOf(s!.sim, A1)).toEqual(['trip:ok']), 15_000);
    await eventually(async () => expect((await s!.fk.api('GET', `/v1/meters/${meterId}`)).body.relayState).toBe('open'));
  });

  it('does not cut off on a public holiday, but does on a make-up workday', async () => {
    s = await startScenario({ at: '2026-10-01T10:00:00+08:00', meters: [{ address: A1 }] });
    const meterId = await s.supplyPoint('acc-1', A1, LEVELS);
    await eventually(async () => expect((await s!.fk.api('GET', `/v1/meters/${meterId}`)).body.relayState).toBe('closed'));
    await s.pay('acc-1', 10, 'wx-1');
    for (let i = 0; i < 3; i++) await s.fk.daemon.engine.sweep();
    const why = (await s.fk.api('GET', `/v1/meters/${meterId}/why`, { role: 'operator' })).body;
    expect(why).toMatchObject({ rule: 'no-cut-window', window: { noCut: true, reason: 'holiday:国庆节' } });
    expect(s.sim.meter(A1).controls).toEqual([]);

    // Saturday 2026-10-10 is a make-up workday (调休) for the National Day holiday: a working day.
    s.clock.set('2026-10-10T10:00:00+08:00');
    await eventually(() => expect(controlsOf(s!.sim, A1)).toEqual(['trip:ok']), 15_000);
  });
});
