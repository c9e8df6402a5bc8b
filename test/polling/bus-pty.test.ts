// The bus driver over a real pseudo-terminal against simulated DL/T 645 meters: priorities, junk
// and bad checksums on the line, other meters' frames, silent meters, slow bytes, refusals.
import { afterEach, describe, expect, it } from 'vitest';
import { DataIdentifier, FunctionCode } from '../../protocols/dlt645/index.js';
import { behaviours } from '../../simulators/dlt645/index.js';
import { Bus } from '../../src/polling/bus.js';
import { Dlt645Driver } from '../../src/polling/dlt645-driver.js';
import { Cleanup, address, serialBus, settle, startSim } from './helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('Bus over a pseudo-terminal', () => {
  it('runs commands ahead of on-demand reads ahead of scheduled polls', async () => {
    const meters = [1, 2, 3, 4].map((n) => ({ address: address(n), energyWh: n * 1000 }));
    const { sim, seen } = await startSim(cleanup, { meters });
    const { driver } = serialBus(cleanup, sim.devicePath!, 9600);
    await driver.readEnergyWh(address(1)); // the link is open
    seen.length = 0;

    const polls = [1, 2, 3, 4, 1, 2].map((n) => driver.readEnergyWh(address(n), 'poll'));
    const read = driver.readEnergyWh(address(3), 'read');
    const command = driver.control(address(4), 'trip', new Date(Date.now() + 600_000));
    const results = await Promise.all([...polls, read, command]);

    expect(results.slice(0, 6)).toEqual([1000, 2000, 3000, 4000, 1000, 2000]);
    expect(results[7]).toEqual({ ok: true });
    // The first poll was already on the line; then the command, the read, the other polls in order.
    expect(seen.map((r) => `${r.functionCode === FunctionCode.Control ? 'control' : 'read'} ${r.address.slice(-1)}`)).toEqual([
      'read 1', 'control 4', 'read 3', 'read 2', 'read 3', 'read 4', 'read 1', 'read 2',
    ]);
    expect(sim.meter(address(4)).relayStatus().relayOpen).toBe(true);
  });

  it('counts junk, bad checksums and foreign frames, and loses no good reply', async () => {
    const meters = [1, 2, 3, 4].map((n) => ({ address: address(n), energyWh: n * 10_000 }));
    const { sim } = await startSim(cleanup, { meters });
    sim.meter(address(1)).addBehaviour(behaviours.garbage());
    sim.meter(address(2)).addBehaviour(behaviours.wrongChecksum({ once: true }));
    sim.meter(address(3)).addBehaviour(behaviours.wrongAddress({ once: true, address: address(9) }));
    const { bus, driver } = serialBus(cleanup, sim.devicePath!, 9600);

    const values = await Promise.all([1, 2, 3, 4, 1].map((n) => driver.readEnergyWh(address(n))));

    expect(values).toEqual([10_000, 20_000, 30_000, 40_000, 10_000]);
    expect(bus.stats.checksumFailures).toBe(1);
    expect(bus.stats.foreignFrames).toBe(1);
    // 5 bytes of junk before each of meter 1's two replies, the bad 20-byte frame, and the junk
    // after meter 1's replies (3 bytes each), which lands between exchanges or in the next one.
    expect(bus.stats.discardedBytes).toBe(2 * 5 + 20 + 2 * 3);
    // The foreign reply costs one timeout and one retry; the bad checksum one retry, no timeout.
    expect(bus.stats.timeouts).toBe(1);
    expect(bus.stats.requests).toBe(7);
    expect(bus.stats.replies).toBe(5);
  });

  it('a silent meter costs one timeout per attempt and does not stall the others', async () => {
    const meters = [1, 2, 3].map((n) => ({ address: address(n), energyWh: n * 100 }));
    const { sim, seen } = await startSim(cleanup, { meters });
    sim.meter(address(2)).addBehaviour(behaviours.silence());
    const { bus, driver } = serialBus(cleanup, sim.devicePath!, 9600, {}, 2);

    const outcomes = await Promise.all([1, 2, 3].map((n) => settle(driver.readEnergyWh(address(n)))));

    expect(outcomes[0]).toEqual({ ok: true, value: 100 });
    expect(outcomes[2]).toEqual({ ok: true, value: 300 });
    const two = outcomes[1]!;
    expect(two.ok).toBe(false);
    if (!two.ok) {
      expect(two.error.code).toBe('BUS_TIMEOUT');
      expect(two.error.message).toContain('read DI 00010000 of meter 000000000002');
      expect(two.error.message).toContain(`no reply within ${driver.timeoutMs} ms`);
      expect(two.error.context).toMatchObject({ bus: 'test-line', timeoutMs: driver.timeoutMs, reason: 'no-reply' });
    }
    expect(seen.filter((r) => r.address === address(2))).toHaveLength(3);
    expect(bus.stats.timeouts).toBe(3);
  });

  it('waits for a reply whose bytes trickle within Tb, and gives up when a pause exceeds it', async () => {
    const { sim } = await startSim(cleanup, { meters: [{ address: address(1), energyWh: 5550 }, { address: address(2), energyWh: 6660 }] });
    // 24 bytes 20 ms apart: the reply takes ~0.5 s, far past the first-byte timeout (~275 ms).
    sim.meter(address(1)).addBehaviour(behaviours.slowBytes({ interByteGapMs: 20 }));
    // A pause longer than Tb (150 ms here) between bytes: the reply is abandoned.
    sim.meter(address(2)).addBehaviour(behaviours.slowBytes({ interByteGapMs: 400 }));
    const { driver } = serialBus(cleanup, sim.devicePath!, 9600, {}, 0);

    expect(await driver.readEnergyWh(address(1))).toBe(5550);
    const slow = await settle(driver.readEnergyWh(address(2)));
    expect(slow.ok).toBe(false);
    if (!slow.ok) expect(slow.error.context).toMatchObject({ reason: 'incomplete' });
  });

  it('rejects a reply with a wrong checksum as a checksum failure when its last byte arrives', async () => {
    const { sim } = await startSim(cleanup, { meters: [{ address: address(1), energyWh: 7770 }] });
    // The reply with its checksum off by one, its bytes 30 ms apart: the frame's last byte
    // arrives on its own, long after the first.
    const wrong = behaviours.wrongChecksum();
    sim.meter(address(1)).addBehaviour({
      name: 'slow wrong checksum',
      onRequest: (frame, meter) => {
        const reply = wrong.onRequest(frame, meter);
        return reply?.kind === 'send' ? { ...reply, interByteGapMs: 30 } : reply;
      },
    });
    const { bus, driver } = serialBus(cleanup, sim.devicePath!, 9600, {}, 0);

    const r = await settle(driver.readEnergyWh(address(1)));

    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('FRAME_CHECKSUM');
    expect(r.error.message).toMatch(/^read DI 00010000 of meter 000000000001 on bus test-line: the reply's checksum is wrong/);
    expect(r.error.message).not.toMatch(/incomplete|no byte/);
    // Measured with the bus's own reply clock: judged with the chunk that held the frame's last
    // byte (24 bytes: 4 FE and a 20-byte frame), within one character time of it, not Tb later.
    const { lastByteAt, rejectedAt, receivedBytes } = r.error.context as { lastByteAt: number; rejectedAt: number; receivedBytes: number };
    expect(receivedBytes).toBe(24);
    expect(rejectedAt - lastByteAt).toBeLessThanOrEqual(bus.wireTimeMs(1));
    expect(bus.stats).toMatchObject({ checksumFailures: 1, timeouts: 0, requests: 1, replies: 0 });
  });

  it('answers an abnormal reply with METER_REFUSED', async () => {
    const { sim } = await startSim(cleanup, { meters: [{ address: address(1) }] });
    const { driver } = serialBus(cleanup, sim.devicePath!, 9600);
    const r = await settle(driver.read(address(1), DataIdentifier.phaseBCurrent)); // a single-phase meter
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('METER_REFUSED');
  });

  it('cancels the queued polls of a stopping poller, leaving the exchange in flight and commands alone', async () => {
    const { sim } = await startSim(cleanup, { meters: [{ address: address(1), energyWh: 10 }] });
    const { bus, driver } = serialBus(cleanup, sim.devicePath!, 9600);
    await driver.readEnergyWh(address(1));
    const polls = [1, 2, 3].map(() => settle(driver.readEnergyWh(address(1), 'poll')));
    const command = settle(driver.readStatusWord3(address(1), 'command'));
    expect(bus.cancelQueued('poll')).toBe(2);
    const outcomes = await Promise.all(polls);
    expect(outcomes[0]).toEqual({ ok: true, value: 10 });
    for (const o of outcomes.slice(1)) expect(o.ok ? null : o.error.context).toMatchObject({ reason: 'cancelled' });
    expect((await command).ok).toBe(true);
  });

  it('rejects what is queued and in flight with BUS_CLOSED when it closes', async () => {
    const { sim } = await startSim(cleanup, { meters: [{ address: address(1) }] });
    sim.meter(address(1)).addBehaviour(behaviours.silence());
    const { bus, driver } = serialBus(cleanup, sim.devicePath!, 9600);
    const pending = [1, 1, 1].map(() => settle(driver.readEnergyWh(address(1))));
    await bus.close();
    const outcomes = await Promise.all(pending);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.code))).toEqual(['BUS_CLOSED', 'BUS_CLOSED', 'BUS_CLOSED']);
    expect((await settle(driver.readEnergyWh(address(1)))).ok).toBe(false);
  });
});

describe('reply timeouts', () => {
  it('derive from Td max, the latency allowance and the line rate', () => {
    const never = () => Promise.reject(new Error('not opened in this test'));
    const slow = new Bus('slow', 2400, never, () => {}, { latencyMs: 20 });
    const fast = new Bus('fast', 9600, never, () => {}, { latencyMs: 20 });
    const at2400 = new Dlt645Driver(slow, { responseDelayMaxMs: 500, retries: 0, utcOffsetMinutes: 480 });
    const at9600 = new Dlt645Driver(fast, { responseDelayMaxMs: 500, retries: 0, utcOffsetMinutes: 480 });
    expect(at2400.timeoutMs).toBe(500 + 20 + 5); // one 11-bit character at 2400 baud: 4.6 ms
    expect(at9600.timeoutMs).toBe(500 + 20 + 2);
    expect(slow.wireTimeMs(24)).toBe(110);
  });
});
