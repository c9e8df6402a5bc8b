// A meter that refuses reconnection: the engine's restore is sent a bounded number of times with
// doubling pauses, ends refused with the meter's reason, and raises one review item at once —
// someone is without power. Later sweeps send nothing more while the item is open; once a person
// resolves it the engine tries again.
import { afterEach, describe, expect, it } from 'vitest';
import { behaviours } from '../../simulators/dlt645/index.js';
import { eventually } from '../helpers/eventually.js';
import { controlsOf, startScenario, type Scenario } from '../engine/scenario.js';

const LEVELS = { alarmLevel1Fen: 100, alarmLevel2Fen: 50, cutoffLevelFen: 0, restoreLevelFen: 20 };
const STUCK = '000000000701';

describe('engine: a meter that refuses reconnection', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('makes a bounded number of attempts and raises one review item', async () => {
    s = await startScenario({
      at: '2026-11-25T10:00:00+08:00',
      meters: [{ address: STUCK, initiallyOpen: true, behaviours: [behaviours.refuseRelayCommand({ reason: 'other' })] }],
      // Sweeps every 200 ms and a retry pause of 500 ms: only the open review item holds the engine back.
      engine: { maxAttempts: 3, refusalBackoffMs: 100, retryBackoffMs: 500 },
    });
    const { fk, sim } = s;
    const meterId = await s.supplyPoint('acc-r', STUCK, LEVELS);
    await eventually(async () => expect((await fk.api('GET', `/v1/meters/${meterId}`)).body.relayState).toBe('open'));
    await s.pay('acc-r', 5000, 'wx-refused-1');

    // The review item is there as soon as the meter first refuses, before the retries end.
    const review = await eventually(async () => {
      const items = (await fk.api('GET', `/v1/reviews?meterId=${meterId}&open=true`, { role: 'operator' })).body.items;
      expect(items).toHaveLength(1);
      return items[0];
    });
    expect(review).toMatchObject({ kind: 'command-refused', accountId: 'acc-r' });
    expect(review.reason).toContain('supply is off: the meter refused the reconnect');

    const command = await eventually(async () => {
      const c = (await fk.api('GET', `/v1/meters/${meterId}/commands`, { role: 'operator' })).body.commands[0];
      expect(c).toMatchObject({ action: 'reconnect', state: 'refused', outcome: 'refused', attempts: 3, origin: 'engine' });
      return c;
    });
    expect(command.lastError).toContain('refused 3 times');
    expect(controlsOf(sim, STUCK)).toEqual(['directClose:other', 'directClose:other', 'directClose:other']);

    // Many sweeps later: nothing more was sent, one command, one review item.
    const sweeps = fk.daemon.metrics.engineSweepSeconds;
    const before = (await sweeps.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    await eventually(async () => {
      const now = (await sweeps.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
      expect(now).toBeGreaterThanOrEqual(before + 5);
    }, 20_000);
    expect(sim.meter(STUCK).controls).toHaveLength(3);
    expect((await fk.api('GET', `/v1/meters/${meterId}/commands`, { role: 'operator' })).body.commands).toHaveLength(1);
    expect((await fk.api('GET', `/v1/reviews?meterId=${meterId}`, { role: 'operator' })).body.items).toHaveLength(1);

    // The meter is mended and the item resolved: the engine restores supply.
    sim.meter(STUCK).clearBehaviours();
    const resolved = await fk.api('POST', `/v1/reviews/${review.id}/resolve`, { role: 'operator', body: { resolution: 'meter relay replaced on site' } });
    expect(resolved.status).toBe(200);
    await eventually(() => expect(sim.meter(STUCK).relayStatus().relayOpen).toBe(false), 20_000);
  }, 90_000);
});
