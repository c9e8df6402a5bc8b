// What stops an automatic cut-off over a simulated DL/T 645 bus: a protected customer (a review
// item instead, once per arrears episode), a keep-power hold (mirrored to the meter as 0x1C N1 =
// 3A and released with 3B, after which the cut-off goes ahead), and a meter that refuses the trip
// under its own keep-power — whether it says so or answers with the catch-all "unauthorised".
import { afterEach, describe, expect, it } from 'vitest';
import { behaviours } from '../../simulators/dlt645/behaviours.js';
import { eventually } from '../helpers/eventually.js';
import { controlsOf, startScenario, type Scenario } from '../engine/scenario.js';

const LEVELS = { alarmLevel1Fen: 100, alarmLevel2Fen: 50, cutoffLevelFen: 20, restoreLevelFen: 20 };
const PROTECTED = '000000000201';
const HELD = '000000000202';
const OWN_KEEP_POWER = '000000000203';
const CATCH_ALL = '000000000204';

describe('engine: what holds a cut-off back', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('reviews protected customers, honours keep-power holds and meters under their own keep-power', async () => {
    s = await startScenario({
      at: '2026-11-25T10:00:00+08:00',
      meters: [
        { address: PROTECTED }, { address: HELD }, { address: OWN_KEEP_POWER, keepPower: true },
        { address: CATCH_ALL, keepPower: true, behaviours: [behaviours.refuseRelayCommand({ reason: 'unauthorised' })] },
      ],
    });
    const { fk, sim } = s;
    // Above the cut-off level at first (an account's alarm state counts from its creation).
    const opening = { openingBalanceFen: 30 };
    const mProtected = await s.supplyPoint('acc-p', PROTECTED, { ...LEVELS, ...opening, protected: true });
    const mHeld = await s.supplyPoint('acc-h', HELD, { ...LEVELS, ...opening });
    const mOwn = await s.supplyPoint('acc-o', OWN_KEEP_POWER, { ...LEVELS, ...opening });
    const mCatch = await s.supplyPoint('acc-c', CATCH_ALL, { ...LEVELS, ...opening });
    for (const m of [mProtected, mHeld, mOwn, mCatch]) {
      await eventually(async () => expect((await fk.api('GET', `/v1/meters/${m}`)).body.relayState).toBe('closed'));
    }

    // A keep-power hold on one meter, placed before its account falls into arrears: 3A goes out.
    const placed = await fk.api('POST', '/v1/holds', {
      role: 'operator', body: { kind: 'keep-power', scope: 'meter', targetId: mHeld, reason: 'medical equipment at home' },
    });
    expect(placed.status).toBe(201);
    const holdId = placed.body.holds[0].id;
    expect(placed.body.holds[0]).toMatchObject({ kind: 'keep-power', scope: 'meter', targetId: mHeld, actor: 'key:test-operator', active: true });
    await eventually(() => expect(sim.meter(HELD).relayStatus().keepPower).toBe(true));

    // Into arrears: 10 fen, at or below the cut-off level (20).
    for (const id of ['acc-p', 'acc-h', 'acc-o', 'acc-c']) {
      expect((await fk.api('POST', `/v1/accounts/${id}/adjustments`, { body: { amountFen: -20, reason: 'meter reading corrected' } })).status).toBe(201);
    }

    // The meter under its own keep-power refuses the trip; so does the one that says "unauthorised".
    for (const m of [mOwn, mCatch]) {
      await eventually(async () => {
        const r = await fk.api('GET', `/v1/meters/${m}/commands`, { role: 'operator' });
        expect(r.body.commands[0]).toMatchObject({ action: 'disconnect', state: 'refused', outcome: 'refused-keep-power' });
      });
    }
    expect(controlsOf(sim, CATCH_ALL)).toEqual(['trip:unauthorised']);
    for (let i = 0; i < 3; i++) await fk.daemon.engine.sweep();

    // Still one trip each: the open review item pauses automatic cut-offs on those meters.
    expect(controlsOf(sim, OWN_KEEP_POWER)).toEqual(['trip:keep-power']);
    expect(controlsOf(sim, CATCH_ALL)).toEqual(['trip:unauthorised']);
    const kp = (await fk.api('GET', '/v1/reviews?open=true&kind=meter-keep-power', { role: 'operator' })).body.items;
    expect(kp.map((i: any) => i.meterId).sort()).toEqual([mCatch, mOwn].sort());
    const own = (await fk.api('GET', `/v1/meters/${mOwn}/why`, { role: 'operator' })).body;
    expect(own).toMatchObject({ action: 'none', rule: 'relay-safety', relaySafety: { disconnectAllowed: false, limit: 'open-fault' } });

    // The protected customer: one review item, however many sweeps, and no control frame at all.
    const reviews = (await fk.api('GET', '/v1/reviews?kind=protected-arrears', { role: 'read-only' })).body.items;
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ accountId: 'acc-p', meterId: mProtected, resolvedAt: null });
    expect(sim.meter(PROTECTED).controls).toEqual([]);

    // The held meter: no trip while the hold stands.
    expect(controlsOf(sim, HELD)).toEqual(['keepPower:ok']);
    const held = (await fk.api('GET', `/v1/meters/${mHeld}/why`, { role: 'operator' })).body;
    expect(held).toMatchObject({ action: 'none', rule: 'keep-power-hold' });
    expect(held.holds).toEqual([expect.objectContaining({ id: holdId, kind: 'keep-power', reason: 'medical equipment at home' })]);

    // Released: 3B goes out, then the cut-off the hold held back.
    const released = await fk.api('DELETE', `/v1/holds/${holdId}?reason=equipment%20removed`, { role: 'operator' });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ active: false, releasedBy: 'key:test-operator' });
    await eventually(() => expect(controlsOf(sim, HELD)).toEqual(['keepPower:ok', 'keepPowerRelease:ok', 'trip:ok']), 15_000);
    await eventually(() => expect(sim.meter(HELD).relayStatus()).toMatchObject({ relayOpen: true, keepPower: false }));

    // Resolving the review item is audited.
    const resolved = await fk.api('POST', `/v1/reviews/${reviews[0].id}/resolve`, { role: 'operator', body: { resolution: 'social worker visited; payment plan agreed' } });
    expect(resolved.status).toBe(200);
    expect(resolved.body.resolvedBy).toBe('key:test-operator');
    const again = await fk.api('POST', `/v1/reviews/${reviews[0].id}/resolve`, { role: 'operator', body: { resolution: 'twice' } });
    expect(again.status).toBe(409);
  });
});
