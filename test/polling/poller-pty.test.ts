// Scheduled collection on a bus of 32 simulated meters over a pseudo-terminal, one of them dead:
// every live meter is read in every cycle, the dead one is marked offline (an outbox event) and
// then only probed now and then, and it comes back online on its first good reply.
import { afterEach, describe, expect, it } from 'vitest';
import { behaviours } from '../../simulators/dlt645/index.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address } from './helpers.js';
import { BUS, energyReads, startPolledLine } from './daemon-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const METERS = 32;
const DEAD = address(17);

describe('collection on a 32-meter bus with a dead meter', () => {
  it('reads every live meter each cycle, takes the dead one offline and back', async () => {
    const meters = Array.from({ length: METERS }, (_, i) => ({ address: address(i + 1), energyWh: (i + 1) * 1000 }));
    const { fk, sim, seen } = await startPolledLine(cleanup, { meters, polling: { offlineAfterFailures: 2, offlineBackoffMaxMs: 60_000 } });
    sim.meter(DEAD).addBehaviour(behaviours.silence());
    const { repos } = fk.daemon;
    const poller = fk.daemon.pollers.get(BUS)!;

    // The dead meter goes offline, with an event in the outbox.
    await eventually(() => expect(repos.meters.get(`m-${DEAD}`)!.online).toBe(0), 60_000);
    const offline = repos.journal.events(0, null, 10_000).filter((e) => e.type === 'meter-offline');
    expect(offline.map((e) => e.meterId)).toEqual([`m-${DEAD}`]);
    expect(JSON.parse(offline[0]!.data)).toMatchObject({ busId: BUS, address: DEAD, failures: 2 });

    // From the next complete cycle on: every live meter read in each cycle, the dead one skipped
    // or probed once (no retries) at a growing pause.
    const startCycle = poller.stats.cycles + 1;
    await eventually(() => expect(poller.stats.cycles).toBe(startCycle), 30_000, 5);
    const before = energyReads(seen);
    await eventually(() => expect(poller.stats.cycles).toBeGreaterThanOrEqual(startCycle + 3), 60_000, 5);
    const after = energyReads(seen);
    const cycles = poller.stats.cycles - startCycle;
    for (let i = 1; i <= METERS; i++) {
      const a = address(i);
      if (a === DEAD) continue;
      const reads = (after.get(a) ?? 0) - (before.get(a) ?? 0);
      // a cycle may have begun reading when the counts were taken: one read either way
      expect(reads, `reads of meter ${a} over ${cycles} cycles`).toBeGreaterThanOrEqual(cycles - 1);
      expect(reads, `reads of meter ${a} over ${cycles} cycles`).toBeLessThanOrEqual(cycles + 1);
    }
    const deadAsked = (after.get(DEAD) ?? 0) - (before.get(DEAD) ?? 0);
    expect(deadAsked).toBeLessThan(cycles);
    expect(poller.stats.lastCycleRead).toBe(METERS - 1);
    expect(poller.stats.successRatio).toBeCloseTo((METERS - 1) / METERS, 6);
    for (let i = 1; i <= METERS; i++) {
      if (address(i) !== DEAD) expect(repos.meters.get(`m-${address(i)}`)!.lastEnergyWh).toBe(i * 1000);
    }

    // The meter answers again: back online at its next probe, with an event.
    sim.meter(DEAD).clearBehaviours();
    await eventually(() => expect(repos.meters.get(`m-${DEAD}`)!.online).toBe(1), 60_000);
    const online = repos.journal.events(0, null, 10_000).filter((e) => e.type === 'meter-online');
    expect(online.map((e) => e.meterId)).toEqual([`m-${DEAD}`]);
    expect(repos.meters.get(`m-${DEAD}`)!.lastEnergyWh).toBe(17_000);
  }, 180_000);
});
