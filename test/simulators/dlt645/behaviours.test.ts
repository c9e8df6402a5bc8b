// Misbehaving meters on a real pty: each ready-made behaviour, seen from the head-end's side of
// the line through the codec's own parser.
import { afterEach, describe, expect, it } from 'vitest';
import { DataIdentifier, FunctionCode } from '../../../protocols/dlt645/index.js';
import { behaviours, send, wireTimeMs } from '../../../simulators/dlt645/index.js';
import { expectNothingFor, expectWithin } from './head-end.js';
import { Harness, METER_1, controlOutcomeOf, controlRequest, energyOf, readRequest } from './fixtures.js';

const BAUD = 9600;
const harness = new Harness();
afterEach(() => harness.stop());

const readEnergy = (): Buffer => readRequest(METER_1, DataIdentifier.forwardActiveTotal);

describe('simulator behaviours', () => {
  it('wrong checksum: the head-end discards the reply as a checksum failure', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1, energyWh: 500 }] });
    bus.meter(METER_1).addBehaviour(behaviours.wrongChecksum());
    const headEnd = harness.headEnd!;
    await headEnd.send(readEnergy());
    await expectWithin(() => headEnd.discarded.find((d) => d.reason === 'checksum'), 10_000, 'a discarded checksum frame');
    expect(headEnd.frames).toHaveLength(0);
  });

  it('garbage around the reply: junk is discarded, the frame still comes through', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1, energyWh: 500 }] });
    bus.meter(METER_1).addBehaviour(behaviours.garbage({ before: Uint8Array.of(0x00, 0x68, 0x55), after: Uint8Array.of(0x99) }));
    const reply = await harness.headEnd!.request(readEnergy());
    expect(energyOf(reply.frame)).toBe(500);
    await expectWithin(() => harness.headEnd!.discarded.length > 0, 10_000, 'the junk to be reported');
  });

  it('truncated frame: nothing complete arrives', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }] });
    bus.meter(METER_1).addBehaviour(behaviours.truncated({ keepBytes: 12 }));
    const headEnd = harness.headEnd!;
    await headEnd.send(readEnergy());
    await expectWithin(() => headEnd.chunks.reduce((n, c) => n + c.bytes.length, 0) === 12, 10_000, '12 bytes on the line');
    await expectNothingFor(() => headEnd.frames[0], 200, 'frame from a truncated reply');
  });

  it('slow bytes: an inter-byte gap stretches the reply', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }] });
    bus.meter(METER_1).addBehaviour(behaviours.slowBytes({ interByteGapMs: 10 }));
    const reply = await harness.headEnd!.request(readEnergy());
    const bytes = 24;
    expect(reply.at - reply.sentAt).toBeGreaterThanOrEqual(wireTimeMs(bytes, BAUD) + (bytes - 1) * 10);
  });

  it('fixed reply delay replaces Td', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }] });
    bus.meter(METER_1).addBehaviour(behaviours.fixedDelay({ delayMs: 250 }));
    const reply = await harness.headEnd!.request(readEnergy());
    expect(reply.at - reply.sentAt).toBeGreaterThanOrEqual(250);
  });

  it('refuse relay command: the meter answers "refused" and does not act, reads are unaffected', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }] });
    const meter = bus.meter(METER_1);
    meter.addBehaviour(behaviours.refuseRelayCommand({ reason: 'unauthorised' }));
    expect(controlOutcomeOf(await harness.ask(controlRequest(METER_1, 'trip')))).toMatchObject({ ok: false, reason: 'unauthorised' });
    expect(await harness.statusWord3(METER_1)).toMatchObject({ relayOpen: false, relayCommandOpen: false });
    expect(meter.controls).toMatchObject([{ action: 'trip', outcome: 'unauthorised' }]);
  });

  it('wrong address: the reply carries another meter address', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1 }] });
    bus.meter(METER_1).addBehaviour(behaviours.wrongAddress({ address: '999988887777' }));
    expect((await harness.ask(readEnergy())).address).toBe('999988887777');
  });

  it('the newest behaviour wins; `when` narrows it; removing restores the model', async () => {
    const { bus } = await harness.start({ baudRate: BAUD, meters: [{ address: METER_1, energyWh: 70 }] });
    const meter = bus.meter(METER_1);
    meter.addBehaviour(behaviours.silence());
    const remove = meter.addBehaviour({
      name: 'fixed energy',
      onRequest: (frame, m) => {
        if (frame.data.length !== 4) return undefined;
        const reply = m.defaultReply(frame);
        return reply.kind === 'send' ? send(reply.bytes) : reply;
      },
    });
    expect(energyOf(await harness.ask(readEnergy()))).toBe(70);
    remove();
    const headEnd = harness.headEnd!;
    const before = headEnd.frames.length;
    await headEnd.send(readEnergy());
    await expectNothingFor(() => headEnd.frames[before], 250, 'reply from a silenced meter');
    meter.clearBehaviours();
    meter.addBehaviour(behaviours.silence({ when: behaviours.forFunction(FunctionCode.Control) }));
    expect(energyOf(await harness.ask(readEnergy()))).toBe(70);
  });

  it('a behaviour that throws is reported and the meter stays silent; the bus carries on', async () => {
    const errors: Error[] = [];
    const { bus } = await harness.start({
      baudRate: BAUD,
      meters: [{ address: METER_1 }],
      onEvent: (event) => {
        if (event.kind === 'error') errors.push(event.error);
      },
    });
    bus.meter(METER_1).addBehaviour({
      name: 'broken',
      once: true,
      onRequest: () => {
        throw new Error('broken behaviour');
      },
    });
    const headEnd = harness.headEnd!;
    await headEnd.send(readEnergy());
    await expectWithin(() => errors[0]?.message === 'broken behaviour', 10_000, 'the error to be reported');
    expect(headEnd.frames).toHaveLength(0);
    bus.meter(METER_1).clearBehaviours();
    expect(energyOf(await harness.ask(readEnergy()))).toBe(0);
  });
});
