// Broadcast time sync (DL/T 645-2007 §7.6, 08H to 999999999999): sent at start and at the
// configured interval; the simulated meters' clocks, drifted on purpose, are set right.
import { afterEach, describe, expect, it } from 'vitest';
import { FunctionCode } from '../../protocols/dlt645/index.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address } from './helpers.js';
import { BUS, startPolledLine } from './daemon-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const HOUR = 3_600_000;

describe('broadcast time sync', () => {
  it('sets the drifted meter clocks at start', async () => {
    const meters = [{ address: address(1), clockOffsetMs: -HOUR }, { address: address(2), clockOffsetMs: 10 * 60_000 }];
    const { sim, seen } = await startPolledLine(cleanup, { meters, polling: { timeSyncIntervalMs: HOUR } });
    for (const m of meters) {
      await eventually(() => expect(Math.abs(sim.meter(m.address).clockOffsetMs)).toBeLessThan(2000), 20_000);
    }
    const broadcasts = seen.filter((r) => r.functionCode === FunctionCode.BroadcastTime);
    // one frame to 999999999999, heard by both meters, answered by none
    expect(broadcasts.map((r) => [r.address, r.outcome])).toEqual([['999999999999', 'silent'], ['999999999999', 'silent']]);
  });

  it('repeats at the configured interval and never stops polling', async () => {
    const { fk, sim } = await startPolledLine(cleanup, { meters: [{ address: address(1), energyWh: 4200 }], polling: { timeSyncIntervalMs: 1000 } });
    const meter = sim.meter(address(1));
    await eventually(() => expect(Math.abs(meter.clockOffsetMs)).toBeLessThan(2000), 20_000);
    meter.clockOffsetMs = -HOUR; // the meter drifts again
    await eventually(() => expect(Math.abs(meter.clockOffsetMs)).toBeLessThan(2000), 20_000);
    await eventually(() => expect(fk.daemon.repos.meters.get(`m-${address(1)}`)!.lastEnergyWh).toBe(4200), 20_000);
    await eventually(async () => {
      const metrics = (await fk.api('GET', '/metrics')).body as string;
      const sent = Number(new RegExp(`feikong_time_sync_broadcasts_total\\{bus="${BUS}"\\} (\\d+)`).exec(metrics)?.[1]);
      expect(sent).toBeGreaterThanOrEqual(2);
    });
  });
});
