// The command lifecycle's outcomes over a simulated DL/T 645 bus: a meter that ignores commands
// (failed, with the reason and an event; not hammered afterwards), a trip the meter delays
// ("accepted but trip delayed", then confirmed), and a command whose expiry — written into the
// 0x1C frame as its validity deadline — passes while the trip is still delayed (expired).
import { afterEach, describe, expect, it } from 'vitest';
import { behaviours } from '../../simulators/dlt645/behaviours.js';
import { FunctionCode } from '../../protocols/dlt645/index.js';
import { eventually } from '../helpers/eventually.js';
import { controlsOf, startScenario, type Scenario } from '../engine/scenario.js';

const LEVELS = { alarmLevel1Fen: 100, alarmLevel2Fen: 50, cutoffLevelFen: 20, restoreLevelFen: 20 };
const DEAF = '000000000401';
const SLOW = '000000000402';
const SLOWER = '000000000403';
const LOCKED = '000000000404';
const CLOCK_WRONG = '000000000405';

describe('engine: command outcomes', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('fails a command the meter ignores, with the reason and an event, and does not hammer it', async () => {
    s = await startScenario({
      at: '2026-11-25T10:00:00+08:00',
      meters: [{ address: DEAF, behaviours: [behaviours.silence({ when: behaviours.forFunction(FunctionCode.Control) })] }],
      engine: { maxAttempts: 2 },
    });
    const { fk } = s;
    const meterId = await s.supplyPoint('acc-1', DEAF, LEVELS);
    await eventually(async () => expect((await fk.api('GET', `/v1/meters/${meterId}`)).body.relayState).toBe('closed'));
    await s.pay('acc-1', 10, 'wx-1');
    const failed = await eventually(async () => {
      const r = await fk.api('GET', `/v1/meters/${meterId}/commands`, { role: 'operator' });
      expect(r.body.commands[0]).toMatchObject({ action: 'disconnect', state: 'failed', outcome: 'no-confirmation', attempts: 2 });
      return r.body.commands[0];
    }, 20_000);
    expect(failed.lastError).toMatch(/not confirmed after 2 attempts/);
    expect(failed.lastError).toMatch(/control trip of meter 000000000401/);
    const events = (await fk.api('GET', `/v1/events?type=command-failed&meterId=${meterId}`, { role: 'operator' })).body.events;
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ commandId: failed.id, outcome: 'no-confirmation' });

    for (let i = 0; i < 3; i++) await fk.daemon.engine.sweep();
    expect((await fk.api('GET', `/v1/meters/${meterId}/commands`, { role: 'operator' })).body.commands).toHaveLength(1);
    const why = (await fk.api('GET', `/v1/meters/${meterId}/why`, { role: 'operator' })).body;
    expect(why).toMatchObject({ rule: 'relay-safety', relaySafety: { limit: 'failure-backoff' } });
  });

  it('reports a delayed trip, confirms it when the relay opens, and expires one that outlives its deadline', async () => {
    s = await startScenario({
      at: '2026-11-25T10:00:00+08:00',
      meters: [{ address: SLOW, tripDelayMs: 1500 }, { address: SLOWER, tripDelayMs: 600_000 }],
    });
    const { fk, sim } = s;
    const slow = await s.supplyPoint('acc-s', SLOW, { ...LEVELS, cutoffLevelFen: 0, restoreLevelFen: 0, openingBalanceFen: 1000 });
    const slower = await s.supplyPoint('acc-t', SLOWER, { ...LEVELS, cutoffLevelFen: 0, restoreLevelFen: 0, openingBalanceFen: 1000 });
    for (const m of [slow, slower]) await eventually(async () => expect((await fk.api('GET', `/v1/meters/${m}`)).body.relayState).toBe('closed'));

    const r1 = await fk.api('POST', `/v1/meters/${slow}/commands`, { role: 'operator', body: { action: 'disconnect', reason: 'meter exchange' } });
    expect(r1.status).toBe(202);
    await eventually(async () => {
      const c = (await fk.api('GET', `/v1/commands/${r1.body.id}`, { role: 'operator' })).body;
      expect(c).toMatchObject({ state: 'sent', outcome: 'trip-delayed' });
    });
    await eventually(async () => {
      const c = (await fk.api('GET', `/v1/commands/${r1.body.id}`, { role: 'operator' })).body;
      expect(c).toMatchObject({ state: 'confirmed', outcome: 'confirmed', attempts: 1 });
    });
    expect(controlsOf(sim, SLOW)).toEqual(['trip:ok']);

    const expiresAt = new Date(s.clock.now() + 2000);
    expiresAt.setMilliseconds(0);
    const r2 = await fk.api('POST', `/v1/meters/${slower}/commands`, {
      role: 'operator', body: { action: 'disconnect', reason: 'meter exchange', expiresAt: expiresAt.toISOString() },
    });
    expect(r2.status).toBe(202);
    await eventually(async () => {
      const c = (await fk.api('GET', `/v1/commands/${r2.body.id}`, { role: 'operator' })).body;
      expect(c).toMatchObject({ state: 'expired', outcome: 'trip-delayed' });
      expect(c.lastError).toMatch(/accepted but the meter had not opened the relay/);
    });
    // The command's expiry is the 0x1C validity deadline on the wire (seconds resolution).
    expect(sim.meter(SLOWER).controls).toHaveLength(1);
    expect(sim.meter(SLOWER).controls[0]!.deadline!.getTime()).toBe(expiresAt.getTime());
  });

  it('sends a refused command again after a doubling pause, then ends it refused with the reason and one review item', async () => {
    s = await startScenario({
      at: '2026-11-25T10:00:00+08:00',
      engine: { maxAttempts: 3, refusalBackoffMs: 100 },
      meters: [
        { address: LOCKED, behaviours: [behaviours.refuseRelayCommand({ reason: 'unauthorised' })] },
        { address: CLOCK_WRONG, behaviours: [behaviours.refuseRelayCommand({ reason: 'expired' })] },
      ],
    });
    const { fk, sim } = s;
    for (const [id, address, outcome] of [['acc-l', LOCKED, 'unauthorised'], ['acc-w', CLOCK_WRONG, 'expired']] as const) {
      const meterId = await s.supplyPoint(id, address, { ...LEVELS, cutoffLevelFen: 0, restoreLevelFen: 0, openingBalanceFen: 1000 });
      await eventually(async () => expect((await fk.api('GET', `/v1/meters/${meterId}`)).body.relayState).toBe('closed'));
      const r = await fk.api('POST', `/v1/meters/${meterId}/commands`, { role: 'operator', body: { action: 'disconnect', reason: 'meter exchange' } });
      const c = await eventually(async () => {
        const body = (await fk.api('GET', `/v1/commands/${r.body.id}`, { role: 'operator' })).body;
        expect(body).toMatchObject({ state: 'refused', outcome, attempts: 3 });
        return body;
      });
      expect(c.lastError).toContain(`refused trip: ${outcome}`);
      expect(c.lastError).toContain('refused 3 times');
      const controls = sim.meter(address).controls;
      expect(controls).toHaveLength(3);
      // The pauses double: the third send waited at least twice as long as the second.
      const gaps = [controls[1]!.at.getTime() - controls[0]!.at.getTime(), controls[2]!.at.getTime() - controls[1]!.at.getTime()];
      expect(gaps[0]).toBeGreaterThanOrEqual(100);
      expect(gaps[1]).toBeGreaterThanOrEqual(200);
      const reviews = (await fk.api('GET', `/v1/reviews?meterId=${meterId}`, { role: 'operator' })).body.items;
      expect(reviews.map((i: { kind: string }) => i.kind)).toEqual(['command-refused']);
      expect(reviews[0].reason).toContain(`refused trip: ${outcome}`);
    }
  });
});
