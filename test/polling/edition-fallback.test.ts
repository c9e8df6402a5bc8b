// Automatic 2007 → 1997 fallback for meters whose edition is 'auto': a meter that speaks only
// DL/T 645-1997 gets no answer to the 2007 read, is read with 9010 instead, and from then on is
// asked in 1997 first; 1997 has no status word 3, so its relay state stays unknown. The 1997
// profile's other DIs, which this meter lacks, are refused, counted and rested. A 2007 meter set
// to 'auto' is never asked in 1997.
import { afterEach, describe, expect, it } from 'vitest';
import { DataIdentifier1997, FunctionCode1997 } from '../../protocols/dlt645/index.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address } from './helpers.js';
import { BUS, setEdition, startPolledLine } from './daemon-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const OLD = address(1997);
const NEW = address(2007);

describe('edition auto', () => {
  it('falls back to the 1997 read when the 2007 read gets no answer, and remembers it', async () => {
    // A DL/T 645-1997 meter that answers 9010 (forward active energy) and ignores 2007 frames.
    const meters = [{ address: OLD, energyWh: 19_970, edition: '1997' as const, registers: [DataIdentifier1997.forwardActiveTotal] }, { address: NEW, energyWh: 20_070 }];
    const { fk, seen } = await startPolledLine(cleanup, { meters, polling: { intervalMs: 200 } });
    await setEdition(fk, OLD, 'auto');
    await setEdition(fk, NEW, 'auto');
    const { repos } = fk.daemon;
    const poller = fk.daemon.pollers.get(BUS)!;

    await eventually(() => expect(repos.meters.get(`m-${OLD}`)!.lastEnergyWh).toBe(19_970), 30_000);
    const firstAnswered = seen.findIndex((r) => r.address === OLD && r.functionCode === FunctionCode1997.Read && r.outcome === 'reply');
    expect(firstAnswered).toBeGreaterThanOrEqual(0);
    // The 1997 read came right after 2007 attempts that got no answer.
    expect(seen.slice(0, firstAnswered).filter((r) => r.address === OLD).every((r) => r.outcome === 'silent')).toBe(true);

    const cycle = poller.stats.cycles;
    await eventually(() => expect(poller.stats.cycles).toBeGreaterThanOrEqual(cycle + 3), 30_000);
    const later = seen.slice(firstAnswered + 1).filter((r) => r.address === OLD);
    expect(later.length).toBeGreaterThanOrEqual(2);
    expect(later.every((r) => r.functionCode === FunctionCode1997.Read && r.outcome === 'reply')).toBe(true);

    expect(repos.meters.get(`m-${OLD}`)).toMatchObject({ relayState: 'unknown', online: 1 });
    expect(repos.meters.get(`m-${NEW}`)).toMatchObject({ lastEnergyWh: 20_070, relayState: 'closed' });
    expect(seen.filter((r) => r.address === NEW && r.functionCode === FunctionCode1997.Read)).toEqual([]);

    // An on-demand read goes the same way: energy, no relay state.
    expect(await fk.daemon.collection.readMeter(`m-${OLD}`)).toMatchObject({ meterId: `m-${OLD}`, busId: BUS, energyWh: 19_970, relay: null });
    // The 1997 profile's voltage, current, power and power factor: each refused once, counted, not asked again.
    const dis = repos.meterData.dataIdentifiers(`m-${OLD}`);
    expect(dis.find((d) => d.di === '9010')).toMatchObject({ lastValue: '19970', misses: 0 });
    expect(dis.filter((d) => d.misses > 0).map((d) => [d.di, d.misses, d.missReason])).toEqual([
      ['B611', 1, 'no-requested-data'], ['B621', 1, 'no-requested-data'], ['B630', 1, 'no-requested-data'], ['B650', 1, 'no-requested-data'],
    ]);
  }, 90_000);
});
