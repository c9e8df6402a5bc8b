// Dlt645Reader over a pseudo-terminal: energy and relay state as MeterValues, time-of-use
// registers when configured, and a single-rate meter that refuses them (asked once, then not).
import { afterEach, describe, expect, it } from 'vitest';
import {
  DataIdentifier, ErrorBit, FunctionCode, decodeReadRequest, encodeAbnormalResponse, parseControl, type Dlt645Frame,
} from '../../protocols/dlt645/index.js';
import { send, type Behaviour, type SimMeter } from '../../simulators/dlt645/index.js';
import type { MeterRow } from '../../src/db/repo/index.js';
import { Dlt645Reader } from '../../src/polling/dlt645-reader.js';
import { Profiles, profilesDirectory } from '../../src/profiles.js';
import { Cleanup, address, serialBus, startSim } from './helpers.js';

const profiles = Profiles.load(profilesDirectory(undefined));
const readerOptions = { readTou: true, profiles, missedRetryMs: 3_600_000, backfillDaysMax: 62, utcOffsetMinutes: 480 };

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const TOU = new Set<number>([DataIdentifier.forwardActiveTariff1, DataIdentifier.forwardActiveTariff2, DataIdentifier.forwardActiveTariff3, DataIdentifier.forwardActiveTariff4]);

/** A single-rate meter: "no requested data" for the tariff registers. */
function singleRate(): Behaviour {
  return {
    name: 'singleRate',
    onRequest(frame: Dlt645Frame, meter: SimMeter) {
      if (parseControl(frame.control).functionCode !== FunctionCode.Read || !TOU.has(decodeReadRequest(frame).di)) return undefined;
      return send(Buffer.concat([Buffer.alloc(4, 0xfe), encodeAbnormalResponse(meter.address, FunctionCode.Read, ErrorBit.noRequestedData)]));
    },
  };
}

function meterRow(addr: string, edition: MeterRow['edition'] = '2007'): MeterRow {
  return { id: `m-${addr}`, address: addr, protocol: 'dlt645', edition, online: 1 } as MeterRow;
}

describe('Dlt645Reader', () => {
  it('reads energy, the relay from status word 3 and the four time-of-use registers', async () => {
    const { sim } = await startSim(cleanup, { meters: [{ address: address(1), energyWh: 10_000, tariffWh: [1000, 2000, 3000, 4000] }] });
    sim.meter(address(1)).relay.apply('trip', Date.now());
    const { driver } = serialBus(cleanup, sim.devicePath!, 9600);
    const values = await new Dlt645Reader(driver, readerOptions).read(meterRow(address(1)), 'read');
    expect(values).toMatchObject({ energyWh: 10_000, relay: 'open', touWh: { criticalWh: 1000, peakWh: 2000, flatWh: 3000, valleyWh: 4000 }, edition: '2007' });
    expect(values.dataIdentifiers!.map((d) => [d.di, d.answered])).toEqual([
      ['00010000', true], ['04000503', true], ['00010100', true], ['00010200', true], ['00010300', true], ['00010400', true],
    ]);
  });

  it('rests the time-of-use registers a single-rate meter refused, counting each, and keeps the rest', async () => {
    const { sim, seen } = await startSim(cleanup, { meters: [{ address: address(2), energyWh: 500 }] });
    sim.meter(address(2)).addBehaviour(singleRate());
    const { driver } = serialBus(cleanup, sim.devicePath!, 9600);
    const reader = new Dlt645Reader(driver, readerOptions);
    const first = await reader.read(meterRow(address(2)), 'poll');
    expect(first).toMatchObject({ energyWh: 500, relay: 'closed' });
    expect(first.touWh).toBeUndefined();
    expect(first.dataIdentifiers!.filter((d) => !d.answered)).toEqual([...TOU].map((di) => ({
      di: di.toString(16).padStart(8, '0'), answered: false, reason: 'no-requested-data',
    })));
    const second = await reader.read(meterRow(address(2)), 'poll');
    expect(second).toMatchObject({ energyWh: 500, relay: 'closed' });
    expect(second.dataIdentifiers!.map((d) => d.di)).toEqual(['00010000', '04000503']);
    expect(seen.filter((r) => r.di !== undefined && TOU.has(r.di))).toHaveLength(4);
  });
});
