// Automatic 2007 → 1997 fallback for meters whose edition is 'auto': a meter that speaks only
// DL/T 645-1997 gets no answer to the 2007 read, is read with 9010 instead, and from then on is
// asked in 1997 first; 1997 has no status word 3, so its relay state stays unknown. A 2007 meter
// set to 'auto' is never asked in 1997.
import { afterEach, describe, expect, it } from 'vitest';
import {
  DataIdentifier1997, FunctionCode1997, decode1997ReadRequest, encode1997ReadResponse, encodeEnergyWh, parseControl, BROADCAST_ADDRESS,
  type Dlt645Frame,
} from '../../protocols/dlt645/index.js';
import { SILENT, send, type Behaviour, type SimMeter } from '../../simulators/dlt645/index.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address } from './helpers.js';
import { BUS, setEdition, startPolledLine } from './daemon-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const OLD = address(1997);
const NEW = address(2007);

/** A DL/T 645-1997 meter: answers 01H reads of 9010 (forward active energy), ignores 2007 frames. */
function speaksOnly1997(): Behaviour {
  return {
    name: 'speaksOnly1997',
    onRequest(frame: Dlt645Frame, meter: SimMeter) {
      if (frame.address === BROADCAST_ADDRESS) return undefined; // time sync: same 08H in both editions
      if (parseControl(frame.control).functionCode !== FunctionCode1997.Read) return SILENT;
      const { di } = decode1997ReadRequest(frame);
      if (di !== DataIdentifier1997.forwardActiveTotal) return SILENT;
      return send(Buffer.concat([Buffer.alloc(4, 0xfe), encode1997ReadResponse(meter.address, di, encodeEnergyWh(meter.energyWh))]));
    },
  };
}

describe('edition auto', () => {
  it('falls back to the 1997 read when the 2007 read gets no answer, and remembers it', async () => {
    const meters = [{ address: OLD, energyWh: 19_970 }, { address: NEW, energyWh: 20_070 }];
    const { fk, sim, seen } = await startPolledLine(cleanup, { meters, polling: { intervalMs: 200 } });
    sim.meter(OLD).addBehaviour(speaksOnly1997());
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
  }, 90_000);
});
