// Restore at any hour: a customer cut off pays at 03:00 (a no-cut night, which does not apply to
// restores) and supply is back within seconds — direct close (1C), or close permitted (1B) with a
// button-press notice for meters that only know that. Restore latency is measured from the payment.
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { controlsOf, startScenario, type Scenario } from '../engine/scenario.js';

const LEVELS = { alarmLevel1Fen: 100, alarmLevel2Fen: 50, cutoffLevelFen: 0, restoreLevelFen: 20 };
const DIRECT = '000000000301';
const BUTTON = '000000000302';

describe('engine: restore after payment', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('restores within seconds of a payment at 03:00, confirmed by read-back', async () => {
    s = await startScenario({
      at: '2026-11-25T03:00:00+08:00',
      meters: [{ address: DIRECT, initiallyOpen: true }, { address: BUTTON, initiallyOpen: true, supportsDirectClose: false }],
      // A sweep every minute: a restore within seconds can only come from the payment itself.
      engine: { sweepIntervalMs: 60_000 },
    });
    const { fk, sim } = s;
    const direct = await s.supplyPoint('acc-d', DIRECT, LEVELS);
    const button = await s.supplyPoint('acc-b', BUTTON, LEVELS, { supportsDirectClose: false });
    for (const m of [direct, button]) await eventually(async () => expect((await fk.api('GET', `/v1/meters/${m}`)).body.relayState).toBe('open'));
    const before = (await fk.api('GET', `/v1/meters/${direct}/why`, { role: 'operator' })).body;
    expect(before).toMatchObject({ action: 'none', rule: 'supply-off', window: { noCut: true, reason: 'night' } });

    await s.pay('acc-d', 5000, 'wx-night-1');
    await eventually(() => expect(sim.meter(DIRECT).relayStatus().relayOpen).toBe(false), 20_000);
    const cmd = await eventually(async () => {
      const r = await fk.api('GET', `/v1/meters/${direct}/commands`, { role: 'operator' });
      expect(r.body.commands[0]).toMatchObject({ action: 'reconnect', state: 'confirmed', origin: 'engine' });
      return r.body.commands[0];
    });
    expect(cmd.reason).toContain('above restore level');
    // The payment that made it due is on the command: its time, at or before the command's.
    const paid = (await fk.api('GET', '/v1/events?type=payment-posted&accountId=acc-d', { role: 'operator' })).body.events;
    expect(paid).toHaveLength(1);
    expect(cmd.triggerAt).not.toBeNull();
    expect(Date.parse(cmd.triggerAt)).toBeLessThanOrEqual(Date.parse(cmd.createdAt));
    expect(Date.parse(cmd.createdAt) - Date.parse(cmd.triggerAt)).toBeLessThan(60_000);
    expect(controlsOf(sim, DIRECT)).toEqual(['directClose:ok']);

    // Measured from the payment's commit, not from the command.
    const metrics: string = (await fk.api('GET', '/metrics', { role: null })).body;
    expect(metrics).toMatch(/feikong_restore_latency_seconds_count 1\b/);
    expect(metrics).toMatch(/feikong_commands_total\{action="reconnect",state="confirmed",outcome="confirmed"\} 1/);
    expect(metrics).toMatch(/feikong_accounts_by_state\{state="normal"\} 1/);
    expect(metrics).toMatch(/feikong_accounts_by_state\{state="cut-off"\} 1/);
    expect(metrics).toMatch(/feikong_supply_points_by_state\{state="in-credit"\} 1/);
    expect(metrics).toMatch(/feikong_supply_points_by_state\{state="cut-off"\} 1/);

    // A meter that only knows 1B: close permitted, the customer is told to press the button.
    await s.pay('acc-b', 5000, 'wx-night-2');
    await eventually(async () => {
      const r = await fk.api('GET', `/v1/meters/${button}/commands`, { role: 'operator' });
      expect(r.body.commands[0]).toMatchObject({ action: 'reconnect', state: 'sent', outcome: 'close-permitted' });
    });
    expect(controlsOf(sim, BUTTON)).toEqual(['closePermitted:ok']);
    const notices = (await fk.api('GET', `/v1/events?type=close-permitted&meterId=${button}`, { role: 'operator' })).body.events;
    expect(notices).toHaveLength(1);
    expect(sim.meter(BUTTON).pressButton()).toBe(true);
    await eventually(async () => {
      const r = await fk.api('GET', `/v1/meters/${button}/commands`, { role: 'operator' });
      expect(r.body.commands[0]).toMatchObject({ action: 'reconnect', state: 'confirmed', outcome: 'confirmed' });
    });
    expect(controlsOf(sim, BUTTON)).toEqual(['closePermitted:ok']);
  });
});
