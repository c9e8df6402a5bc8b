// A suspended bus (another daemon holds its lease): the link to the TCP DTU is closed on purpose —
// not a drop, not reopened — everything queued or in flight fails with BUS_CLOSED (reason
// 'suspended') and new requests fail at once; started again, it reopens and reads as before.
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address, settle, startSim, tcpBus } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('a suspended bus', () => {
  it('closes its link, fails its exchanges at once, and reads again once started', async () => {
    const { sim } = await startSim(cleanup, { transport: { kind: 'tcp' }, meters: [{ address: address(1), energyWh: 4320 }] });
    const { bus, driver, errors } = tcpBus(cleanup, sim.port!, 9600);
    expect(await driver.readEnergyWh(address(1))).toBe(4320);

    const pending = [settle(driver.readEnergyWh(address(1), 'poll')), settle(driver.readStatusWord3(address(1), 'command'))];
    await bus.suspend('another daemon holds it');
    for (const o of await Promise.all(pending)) {
      expect(o.ok).toBe(false);
      if (!o.ok) expect(o.error).toMatchObject({ code: 'BUS_CLOSED', context: { bus: 'test-dtu', reason: 'suspended' } });
    }
    expect(bus.isSuspended).toBe(true);
    expect(bus.linkIsUp).toBe(false);
    const refused = await settle(driver.readEnergyWh(address(1), 'read'));
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toMatch(/suspended: another daemon holds it/);
    // Closed on purpose: not counted as a drop, not reported, not reopened.
    await new Promise((r) => setTimeout(r, 300));
    expect(bus.linkIsUp).toBe(false);
    expect(bus.stats.linkDrops).toBe(0);
    expect(errors).toEqual([]);

    bus.start();
    expect(bus.isSuspended).toBe(false);
    await eventually(() => expect(bus.linkIsUp).toBe(true));
    expect(await driver.readEnergyWh(address(1))).toBe(4320);
  });
});
