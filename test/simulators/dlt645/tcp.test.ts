// The bus behind a TCP DTU: the head-end connects to the simulator's port and the same DL/T 645
// bytes flow as on a serial line, paced at the configured baud rate.
import { afterEach, describe, expect, it } from 'vitest';
import { DataIdentifier } from '../../../protocols/dlt645/index.js';
import { wireTimeMs } from '../../../simulators/dlt645/index.js';
import { HeadEnd, expectWithin } from './head-end.js';
import { Harness, METER_1, METER_2, controlOutcomeOf, controlRequest, energyOf, readRequest } from './fixtures.js';

const harness = new Harness();
const extra: HeadEnd[] = [];
afterEach(async () => {
  await Promise.all(extra.splice(0).map((h) => h.close()));
  await harness.stop();
});

describe('DL/T 645 simulator behind a TCP DTU', () => {
  it('listens on a free port and answers reads and relay commands', async () => {
    const { bus, headEnd } = await harness.start({
      transport: { kind: 'tcp', port: 0 },
      baudRate: 2400,
      meters: [{ address: METER_1, energyWh: 4_560 }, { address: METER_2 }],
    });
    expect(bus.port).toBeGreaterThan(0);
    expect(bus.devicePath).toBeUndefined();
    const reply = await headEnd.request(readRequest(METER_1, DataIdentifier.forwardActiveTotal));
    expect(energyOf(reply.frame)).toBe(4_560);
    expect(reply.at - reply.sentAt).toBeGreaterThanOrEqual(30 + wireTimeMs(24, 2400));
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_2, 'trip')))).toEqual({ ok: true });
    expect(await harness.statusWord3(METER_2)).toMatchObject({ relayOpen: true });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayOpen: false });
  });

  it('answers each connection on its own link, and survives a head-end reconnecting', async () => {
    const { bus, headEnd } = await harness.start({ transport: { kind: 'tcp' }, baudRate: 9600, meters: [{ address: METER_1 }] });
    await headEnd.close();
    const again = await HeadEnd.connectTcp(bus.port!);
    extra.push(again);
    expect(energyOf((await again.request(readRequest(METER_1, DataIdentifier.forwardActiveTotal))).frame)).toBe(0);
    await expectWithin(() => bus.stats.replies === 1, 10_000, 'one reply counted');
  });
});
