// Links that drop: a TCP DTU whose far side restarts, a DTU that stays away (queued exchanges
// fail with a coded error after the configured wait), and a serial port that errors and is
// reopened. The bus survives all of them and resumes by itself.
import { mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair } from '../../simulators/pty.js';
import { startDlt645Bus } from '../../simulators/dlt645/index.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address, serialBus, settle, startSim, tcpBus } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('a TCP DTU link', () => {
  it('is reconnected after the DTU side restarts, and an exchange queued meanwhile completes', async () => {
    const first = await startSim(cleanup, { transport: { kind: 'tcp' }, meters: [{ address: address(1), energyWh: 7770 }] });
    const port = first.sim.port!;
    const { bus, driver } = tcpBus(cleanup, port, 9600);
    expect(await driver.readEnergyWh(address(1))).toBe(7770);

    await first.sim.close();
    await eventually(() => expect(bus.linkIsUp).toBe(false));
    // Queued while the DTU is away: waits (linkWaitMs 5 s) instead of failing at once.
    const queued = driver.readEnergyWh(address(1), 'read');
    const again = await startDlt645Bus({ transport: { kind: 'tcp', port }, baudRate: 9600, responseDelayMs: 20, meters: [{ address: address(1), energyWh: 8880 }] });
    cleanup.add(again, (s) => s.close());

    expect(await queued).toBe(8880);
    expect(bus.linkIsUp).toBe(true);
    expect(bus.stats.linkDrops).toBe(1);
    expect(await driver.readEnergyWh(address(1))).toBe(8880);
  });

  it('fails queued exchanges with BUS_CLOSED (link-down) after the wait bound, and keeps trying', async () => {
    const { sim } = await startSim(cleanup, { transport: { kind: 'tcp' }, meters: [{ address: address(1) }] });
    const port = sim.port!;
    const { bus, driver, errors } = tcpBus(cleanup, port, 9600, { linkWaitMs: 200 });
    await driver.readEnergyWh(address(1));
    await sim.close();
    await eventually(() => expect(bus.linkIsUp).toBe(false));

    const outcomes = await Promise.all([settle(driver.readEnergyWh(address(1))), settle(driver.readStatusWord3(address(1), 'command'))]);
    for (const o of outcomes) {
      expect(o.ok).toBe(false);
      if (!o.ok) {
        expect(o.error.code).toBe('BUS_CLOSED');
        expect(o.error.context).toMatchObject({ bus: 'test-dtu', reason: 'link-down' });
      }
    }
    expect(bus.stats.linkFailures).toBe(2);
    // Reconnect attempts go on (refused while nobody listens), reported, never thrown.
    await eventually(() => expect(bus.stats.openFailures).toBeGreaterThanOrEqual(2));
    expect(errors.some((e) => (e as { context?: { reason?: string } }).context?.reason === 'open-failed')).toBe(true);
  });
});

describe('a serial port', () => {
  it('that errors (its line went away) is reopened, and collection resumes', async () => {
    const dir = cleanup.add(mkdtempSync(join(tmpdir(), 'feikong-line-')), (d) => rmSync(d, { recursive: true, force: true }));
    const line = join(dir, 'ttyRS485');
    const pty1 = await createPtyPair();
    const sim1 = await startDlt645Bus({ transport: { kind: 'serial', path: pty1.a }, baudRate: 9600, responseDelayMs: 20, meters: [{ address: address(1), energyWh: 100 }] });
    symlinkSync(pty1.b, line);
    const { bus, driver } = serialBus(cleanup, line, 9600);
    expect(await driver.readEnergyWh(address(1))).toBe(100);

    // The far end disappears: the port errors or closes under the bus.
    await sim1.close();
    await pty1.close();
    await eventually(() => expect(bus.linkIsUp).toBe(false));
    expect(bus.stats.linkDrops).toBe(1);

    // The device comes back (a new pty behind the same path): the bus reopens it by itself.
    const pty2 = cleanup.add(await createPtyPair(), (p) => p.close());
    const sim2 = cleanup.add(await startDlt645Bus({ transport: { kind: 'serial', path: pty2.a }, baudRate: 9600, responseDelayMs: 20, meters: [{ address: address(1), energyWh: 200 }] }), (s) => s.close());
    unlinkSync(line);
    symlinkSync(pty2.b, line);
    await eventually(() => expect(bus.linkIsUp).toBe(true));
    expect(await driver.readEnergyWh(address(1))).toBe(200);
    expect(sim2.stats.replies).toBeGreaterThanOrEqual(1);
  });
});
