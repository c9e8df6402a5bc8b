// Collection as the rest of the daemon sees it: an on-demand read of one meter (values back,
// reading recorded), time-of-use registers when configured, coded errors, and the per-bus
// metrics on /metrics.
import { afterEach, describe, expect, it } from 'vitest';
import { behaviours } from '../../simulators/dlt645/index.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address, settle } from './helpers.js';
import { BUS, startPolledLine } from './daemon-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const A = address(1);
const B = address(2);

describe('Collection', () => {
  it('reads one meter on demand, with its time-of-use registers, and records the reading', async () => {
    const meters = [{ address: A, energyWh: 1000, tariffWh: [100, 200, 300, 400] as [number, number, number, number] }, { address: B, energyWh: 5 }];
    const { fk, sim, seen } = await startPolledLine(cleanup, { meters, polling: { intervalMs: 3_600_000, readTou: true } });
    const { collection, repos } = fk.daemon;
    await eventually(() => expect(fk.daemon.pollers.get(BUS)!.stats.cycles).toBe(1), 30_000);
    sim.meter(A).energy.totalWh = 1230; // the meter moved on since the scheduled read
    seen.length = 0;

    const read = await collection.readMeter(`m-${A}`);

    expect(read).toMatchObject({
      meterId: `m-${A}`, busId: BUS, energyWh: 1230, relay: 'closed',
      touWh: { criticalWh: 100, peakWh: 200, flatWh: 300, valleyWh: 400 },
    });
    expect(typeof read.at).toBe('number');
    expect(repos.meters.get(`m-${A}`)!.lastEnergyWh).toBe(1230);
    // the scheduled read stored the time-of-use registers with its reading
    expect(repos.tariffs.touFirst(`m-${A}`)).toMatchObject({ criticalWh: 100, peakWh: 200, flatWh: 300, valleyWh: 400 });
    expect(seen.map((r) => r.di?.toString(16).padStart(8, '0'))).toEqual(['00010000', '04000503', '00010100', '00010200', '00010300', '00010400']);
  });

  it('answers unknown and silent meters with coded errors', async () => {
    const { fk, sim } = await startPolledLine(cleanup, { meters: [{ address: A }], polling: { intervalMs: 3_600_000 } });
    const { collection } = fk.daemon;
    const missing = await settle(collection.readMeter('no-such-meter'));
    expect(missing.ok ? null : missing.error.code).toBe('METER_NOT_FOUND');
    sim.meter(A).addBehaviour(behaviours.silence());
    const silent = await settle(collection.readMeter(`m-${A}`));
    expect(silent.ok ? null : silent.error.code).toBe('BUS_TIMEOUT');
    expect(collection.busIds()).toEqual([BUS]);
  });

  it('exposes per-bus line, load and collection metrics', async () => {
    const { fk, sim } = await startPolledLine(cleanup, { meters: [{ address: A }, { address: B }], polling: { intervalMs: 300 } });
    sim.meter(B).addBehaviour(behaviours.wrongChecksum({ once: true }));
    await eventually(() => expect(fk.daemon.pollers.get(BUS)!.stats.cycles).toBeGreaterThanOrEqual(2), 30_000);
    const text = (await fk.api('GET', '/metrics')).body as string;
    const value = (name: string) => Number(new RegExp(`^${name}\\{bus="${BUS}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('feikong_bus_requests_total')).toBeGreaterThanOrEqual(8);
    expect(value('feikong_bus_replies_total')).toBeGreaterThanOrEqual(8);
    // The reply with a wrong checksum is rejected when its last byte arrives: a checksum failure, not a timeout.
    expect(value('feikong_bus_timeouts_total')).toBe(0);
    expect(value('feikong_bus_checksum_failures_total')).toBe(1);
    expect(value('feikong_bus_discarded_bytes_total')).toBeGreaterThanOrEqual(20);
    expect(value('feikong_bus_foreign_frames_total')).toBe(0);
    expect(value('feikong_bus_link_up')).toBe(1);
    expect(value('feikong_bus_queue_length')).toBeGreaterThanOrEqual(0);
    expect(value('feikong_bus_utilisation_ratio')).toBeGreaterThan(0);
    expect(value('feikong_bus_utilisation_ratio')).toBeLessThanOrEqual(1);
    expect(value('feikong_bus_busy_seconds_total')).toBeGreaterThan(0);
    expect(value('feikong_collection_success_ratio')).toBe(1);
    expect(value('feikong_meters_offline')).toBe(0);
  });
});
