// After a restore, a fresh warning and a fresh grace before the next cut-off (docs/design.md
// "After a restore"): a customer cut off pays a little — enough to be restored, not enough to
// leave alarm level 2 — and then falls back below the cut-off level. The old warning was spent by
// the restore: alarm level 2 is raised again when supply comes back, and the engine waits a full
// grace period from it before cutting off again. Every time in the engine's texts is in the
// configured local time (+08:00), as in every field. Over a simulated DL/T 645 bus.
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { controlsOf, startScenario, type Scenario } from '../engine/scenario.js';

const A1 = '000000000801';
const HOUR = 3_600_000;
const LEVELS = { alarmLevel1Fen: 100, alarmLevel2Fen: 50, cutoffLevelFen: 20, restoreLevelFen: 20 };
const LOCAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/;

describe('engine: a restore spends the warning', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('restore → fall → cut: a fresh warning and a full grace, told in local time', async () => {
    s = await startScenario({ at: '2026-11-25T10:00:00+08:00', meters: [{ address: A1 }], engine: { graceMs: HOUR } });
    const { fk, sim, clock } = s;
    const advance = (ms: number) => clock.set(new Date(clock.now() + ms).toISOString());
    const meterId = await s.supplyPoint('acc-r', A1, LEVELS);
    const why = async () => (await fk.api('GET', `/v1/meters/${meterId}/why`, { role: 'operator' })).body;
    const commands = async () => (await fk.api('GET', `/v1/meters/${meterId}/commands`, { role: 'operator' })).body.commands as any[];
    const sweeps = async () => Number(/feikong_engine_sweep_seconds_count (\d+)/.exec((await fk.api('GET', '/metrics', { role: null })).body)![1]);
    await eventually(async () => expect((await fk.api('GET', `/v1/meters/${meterId}`)).body.relayState).toBe('closed'));

    // Warned and in arrears; cut off once the grace period has passed.
    await s.pay('acc-r', 10, 'wx-1');
    const first = await why();
    expect(first).toMatchObject({ rule: 'in-grace' });
    expect(first.lastWarning.alarmLevel2At).toMatch(LOCAL);
    expect(first.reason).toBe(`grace period runs until ${first.lastWarning.graceEndsAt}`);
    advance(HOUR + 1000);
    await eventually(() => expect(sim.meter(A1).relayStatus().relayOpen).toBe(true), 15_000);
    await eventually(async () => expect((await commands())[0]).toMatchObject({ action: 'disconnect', state: 'confirmed' }));
    const firstCut = (await commands())[0];
    expect(firstCut.reason).toBe(`balance 10 fen at or below cut-off level 20 fen, warned at ${first.lastWarning.alarmLevel2At}`);

    // 20 fen: restored (30 > 20), still at alarm level 2 (30 ≤ 50). The restore re-arms the alarms.
    await s.pay('acc-r', 20, 'wx-2');
    await eventually(async () => expect((await commands())[0]).toMatchObject({ action: 'reconnect', state: 'confirmed' }), 15_000);
    const restoredAt = Date.parse((await commands())[0].finishedAt);
    const account = (await fk.api('GET', '/v1/accounts/acc-r')).body;
    expect(account).toMatchObject({ balanceFen: 30, alarmState: 2 });
    expect(Date.parse(account.alarm2At)).toBe(restoredAt);
    const events = (await fk.api('GET', '/v1/events?accountId=acc-r&limit=100', { role: 'operator' })).body.events as any[];
    const afterRestore = events.filter((e) => Date.parse(e.createdAt) >= restoredAt && e.type.startsWith('alarm-')).map((e) => e.type);
    expect(afterRestore).toEqual(['alarm-rearmed', 'alarm-level-1', 'alarm-level-2']);

    // It falls below the cut-off level again at once. The old warning does not count: the engine
    // waits a full grace period from the fresh one (before, only relay safety held it back).
    const adjusted = await fk.api('POST', '/v1/accounts/acc-r/adjustments', { body: { amountFen: -20, reason: 'meter reading corrected' } });
    expect(adjusted.status).toBe(201);
    const held = await why();
    expect(held).toMatchObject({ rule: 'in-grace', balanceFen: 10 });
    expect(Date.parse(held.lastWarning.alarmLevel2At)).toBe(restoredAt);
    expect(Date.parse(held.lastWarning.graceEndsAt)).toBe(restoredAt + HOUR);
    expect(held.lastWarning.graceEndsAt).toMatch(LOCAL);
    expect(held.trace.find((t: any) => t.check === 'alarm level 2 sent').detail).toBe(`sent at ${held.lastWarning.alarmLevel2At}`);
    const seen = await sweeps();
    await eventually(async () => expect(await sweeps()).toBeGreaterThanOrEqual(seen + 3), 15_000);
    expect((await commands()).filter((c) => c.action === 'disconnect')).toHaveLength(1);
    expect(sim.meter(A1).relayStatus().relayOpen).toBe(false);

    // A full grace after the fresh warning: cut off, the reason naming that warning in local time.
    advance(HOUR);
    await eventually(() => expect(sim.meter(A1).relayStatus().relayOpen).toBe(true), 15_000);
    await eventually(async () => expect((await commands())[0]).toMatchObject({ action: 'disconnect', state: 'confirmed' }));
    const second = (await commands())[0];
    expect(Date.parse(second.createdAt)).toBeGreaterThanOrEqual(restoredAt + HOUR);
    expect(second.reason).toBe(`balance 10 fen at or below cut-off level 20 fen, warned at ${held.lastWarning.alarmLevel2At}`);
    expect(second.reason).not.toMatch(/Z\b/);
    expect(controlsOf(sim, A1)).toEqual(['trip:ok', 'directClose:ok', 'trip:ok']);
  });
});
