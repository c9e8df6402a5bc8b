// The simulated meter as a real peer on a pseudo-terminal: the head-end side opens the pty with
// serialport, sends frames built by the codec and reads the replies off the line.
import { afterEach, describe, expect, it } from 'vitest';
import {
  DataIdentifier,
  ErrorBit,
  decodeFrame,
  encodeBroadcastTimeRequest,
  encodeReadAddressRequest,
  decodeReadAddressResponse,
  parseControl,
} from '../../../protocols/dlt645/index.js';
import { behaviours, wireTimeMs } from '../../../simulators/dlt645/index.js';
import { expectNothingFor, expectWithin } from './head-end.js';
import { Harness, METER_1, METER_2, controlOutcomeOf, controlRequest, energyOf, readRequest, statusWord3Of } from './fixtures.js';

const BAUD = 9600;
const harness = new Harness();
afterEach(() => harness.stop());

describe('DL/T 645 simulator on a pty', () => {
  it('answers a forward active energy read with its register, preamble included', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1, energyWh: 123_450 }] });
    const reply = await harness.headEnd!.request(readRequest(METER_1, DataIdentifier.forwardActiveTotal));
    expect(reply.frame.address).toBe(METER_1);
    expect(parseControl(reply.frame.control)).toMatchObject({ functionCode: 0x11, fromMeter: true, abnormal: false });
    expect(energyOf(reply.frame)).toBe(123_450);
    // The parser drops the FEH wake-up bytes from `raw`; the line itself carried them.
    const line = Buffer.concat(harness.headEnd!.chunks.map((c) => c.bytes));
    expect(line.toString('hex')).toBe(`fefefefe${reply.raw.toString('hex')}`);
    expect(bus.stats).toMatchObject({ requests: 1, replies: 1, discarded: 0 });
  });

  it('advances energy with the load while the relay is closed, and not after a trip', async () => {
    let now = Date.UTC(2026, 10, 23, 4, 0, 0);
    const { bus } = await harness.start({ baudRate: BAUD, clock: () => now, meters: [{ address: METER_1, energyWh: 1_000, loadW: 3_600 }] });
    now += 10 * 60_000; // 3.6 kW for 10 minutes = 600 Wh
    expect(energyOf(await harness.ask(readRequest(METER_1, DataIdentifier.forwardActiveTotal)))).toBe(1_600);
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_1, 'trip', { deadline: new Date(now + 60_000) })))).toEqual({ ok: true });
    now += 10 * 60_000;
    expect(energyOf(await harness.ask(readRequest(METER_1, DataIdentifier.forwardActiveTotal)))).toBe(1_600);
    expect(bus.meter(METER_1).energyWh).toBe(1_600);
  });

  it('shows the trip in status word 3: command state and relay state', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }] });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayOpen: false, relayCommandOpen: false, keepPower: false, meterType: 2 });
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_1, 'trip')))).toEqual({ ok: true });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayOpen: true, relayCommandOpen: true });
    expect(bus.meter(METER_1).controls).toMatchObject([{ action: 'trip', pa: 0x02, outcome: 'ok' }]);
  });

  it('delays the relay after a trip: bit 6 at once, bit 4 only after tripDelayMs', async () => {
    await harness.start({ baudRate: BAUD, meters: [{ address: METER_1, tripDelayMs: 400 }] });
    const trip = await harness.headEnd!.request(controlRequest(METER_1, 'trip'));
    expect(controlOutcomeOf(trip.frame)).toEqual({ ok: true });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayCommandOpen: true, relayOpen: false });
    const opened = await expectWithin(
      async () => {
        const reply = await harness.headEnd!.request(readRequest(METER_1, DataIdentifier.statusWord3));
        return statusWord3Of(reply.frame).relayOpen ? reply : undefined;
      },
      3_000,
      'status word 3 to show the relay open',
    );
    expect(statusWord3Of(opened.frame)).toMatchObject({ relayCommandOpen: true, relayOpen: true });
    expect(opened.at - trip.sentAt).toBeGreaterThanOrEqual(400);
  });

  it('refuses a trip under keep-power (3A) and accepts it after release (3B)', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }] });
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_1, 'keepPower')))).toEqual({ ok: true });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ keepPower: true });
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_1, 'trip')))).toMatchObject({ ok: false, reason: 'keep-power' });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayOpen: false, relayCommandOpen: false });
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_1, 'keepPowerRelease')))).toEqual({ ok: true });
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_1, 'trip')))).toEqual({ ok: true });
    expect(bus.meter(METER_1).controls.map((c) => c.outcome)).toEqual(['ok', 'keep-power', 'ok', 'ok']);
  });

  it('refuses a command with the wrong password as unauthorised', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1, password: '123456' }] });
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_1, 'trip', { password: '000000' })))).toMatchObject({
      ok: false,
      reason: 'unauthorised',
    });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayOpen: false });
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_1, 'trip', { password: '123456' })))).toEqual({ ok: true });
    expect(bus.meter(METER_1).controls.map((c) => c.outcome)).toEqual(['unauthorised', 'ok']);
  });

  it('refuses a command whose deadline has passed on the meter clock as expired', async () => {
    await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }] });
    const past = new Date(Date.now() - 60_000);
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_1, 'trip', { deadline: past })))).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayOpen: false, relayCommandOpen: false });
  });

  it('judges the deadline by its own clock, which broadcast time sets (no reply)', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }, { address: METER_2 }] });
    const meterTime = new Date(Date.now() + 24 * 3_600_000);
    await harness.headEnd!.send(encodeBroadcastTimeRequest(meterTime));
    await expectWithin(() => bus.stats.requests === 1, 10_000, 'the broadcast to arrive');
    for (const meter of bus.meters.values()) expect(Math.abs(meter.now() - meterTime.getTime())).toBeLessThan(2_000);
    // A deadline an hour ahead of real time is already past for a meter a day ahead.
    const reply = await harness.ask(controlRequest(METER_1, 'trip', { deadline: new Date(Date.now() + 3_600_000) }));
    expect(controlOutcomeOf(reply)).toMatchObject({ ok: false, reason: 'expired' });
    expect(bus.stats.replies).toBe(1);
  });

  it('keeps the relay open after 1B until the button is pressed', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1, initiallyOpen: true }] });
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_1, 'closePermitted')))).toEqual({ ok: true });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayOpen: true, relayCommandOpen: false });
    expect(bus.meter(METER_1).pressButton()).toBe(true);
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayOpen: false, relayCommandOpen: false });
  });

  it('closes at once on 1C, and refuses 1C on a meter that only knows 1B', async () => {
    await harness.start({
      baudRate: BAUD,
      meters: [
        { address: METER_1, initiallyOpen: true },
        { address: METER_2, initiallyOpen: true, supportsDirectClose: false },
      ],
    });
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_1, 'directClose')))).toEqual({ ok: true });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayOpen: false });
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_2, 'directClose')))).toMatchObject({ ok: false, reason: 'other' });
    expect(await harness.statusWord3(METER_2)).toMatchObject({ relayOpen: true });
  });

  it('answers only its own address; requests for other meters get no reply', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }, { address: METER_2, energyWh: 20 }] });
    const headEnd = harness.headEnd!;
    await headEnd.send(readRequest('000000000009', DataIdentifier.forwardActiveTotal));
    await expectNothingFor(() => headEnd.frames[0], 300, 'reply to another address');
    expect(bus.stats).toMatchObject({ requests: 1, replies: 0, ignored: 1 });
    const reply = await harness.ask(readRequest(METER_2, DataIdentifier.forwardActiveTotal));
    expect(reply.address).toBe(METER_2);
    expect(energyOf(reply)).toBe(20);
  });

  it('answers the wildcard read-address only when it is alone on the bus', async () => {
    await harness.start({ baudRate: BAUD, meters: [{ address: '002241020208' }] });
    expect(decodeReadAddressResponse(await harness.ask(encodeReadAddressRequest()))).toEqual({ address: '002241020208' });
    await harness.stop();
    const shared = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }, { address: METER_2 }] });
    await shared.headEnd.send(encodeReadAddressRequest());
    await expectNothingFor(() => shared.headEnd.frames[0], 300, 'reply to a wildcard on a shared bus');
    expect(shared.bus.stats).toMatchObject({ requests: 1, replies: 0, ignored: 1 });
  });

  it('answers an unknown data identifier with "no requested data"', async () => {
    await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }] });
    const reply = await harness.ask(readRequest(METER_1, 0x04a00000));
    expect(parseControl(reply.control)).toMatchObject({ functionCode: 0x11, abnormal: true });
    expect(reply.data[0]).toBe(ErrorBit.noRequestedData);
  });

  it('stays silent under the silence behaviour, once', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }] });
    bus.meter(METER_1).addBehaviour({ ...behaviours.silence(), once: true });
    const headEnd = harness.headEnd!;
    await headEnd.send(readRequest(METER_1, DataIdentifier.forwardActiveTotal));
    await expectNothingFor(() => headEnd.frames[0], 300, 'reply from a silent meter');
    expect(energyOf(await harness.ask(readRequest(METER_1, DataIdentifier.forwardActiveTotal)))).toBe(0);
  });

  it('paces a 2400-baud reply: N bytes take at least Td + N × 11 / 2400 s', async () => {
    await harness.start({ baudRate: 2400, responseDelayMs: 30, meters: [{ address: METER_1 }] });
    const headEnd = harness.headEnd!;
    const reply = await headEnd.request(readRequest(METER_1, DataIdentifier.forwardActiveTotal));
    const bytes = reply.raw.length + 4; // the parser's raw frame leaves out the 4 FEH of preamble
    expect(bytes).toBe(24);
    expect(reply.at - reply.sentAt).toBeGreaterThanOrEqual(30 + wireTimeMs(bytes, 2400));
    // The bytes trickle in rather than arrive in one burst after a pause.
    const first = headEnd.chunks[0]!.at;
    expect(reply.at - first).toBeGreaterThanOrEqual(0.5 * wireTimeMs(bytes - 1, 2400));
    expect(decodeFrame(reply.raw).address).toBe(METER_1);
  });
});
