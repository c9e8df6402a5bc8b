// A command's errors on the way to its confirmation: a garbled reply to the 0x1C is a checksum
// failure (named, counted in the metric), the command reads back and is confirmed, and then its
// `lastError` is cleared with the error kept apart as `lastAttemptError`; an attempt that got no
// reply hands its error to `lastAttemptError` when the next attempt starts.
import { afterEach, describe, expect, it } from 'vitest';
import { FunctionCode } from '../../protocols/dlt645/index.js';
import { createPtyPair } from '../../simulators/pty.js';
import { behaviours, startDlt645Bus } from '../../simulators/dlt645/index.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address } from './helpers.js';
import { TEST_POLLING } from './daemon-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const GARBLED = address(31);
const DEAF = address(32);

describe('a command confirmed after an error', () => {
  it('clears lastError and keeps the error apart as lastAttemptError', async () => {
    const pty = cleanup.add(await createPtyPair(), (p) => p.close());
    const sim = cleanup.add(await startDlt645Bus({
      transport: { kind: 'serial', path: pty.a }, baudRate: 38_400, responseDelayMs: 20, meters: [{ address: GARBLED }, { address: DEAF }],
    }), (s) => s.close());
    const control = behaviours.forFunction(FunctionCode.Control);
    // The meter trips, but its acknowledgement arrives with a wrong checksum.
    sim.meter(GARBLED).addBehaviour(behaviours.wrongChecksum({ once: true, when: control }));
    // The first 0x1C is not heard at all: no reply, the relay stays closed, a second send is needed.
    sim.meter(DEAF).addBehaviour(behaviours.silence({ once: true, when: control }));
    const fk = cleanup.add(await startTestDaemon({
      buses: [{ id: 'line-1', kind: 'serial', path: pty.b, baudRate: 38_400 }],
      polling: TEST_POLLING, engine: { sweepIntervalMs: 3_600_000, confirmIntervalMs: 100, confirmTries: 2 },
    }), (d) => d.stop());
    await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Sun Li' } });
    for (const [id, meterAddress] of [['m-garbled', GARBLED], ['m-deaf', DEAF]] as const) {
      expect((await fk.api('POST', '/v1/meters', { body: { id, accountId: 'acc-1', protocol: 'dlt645', busId: 'line-1', address: meterAddress } })).status).toBe(201);
      await eventually(async () => expect((await fk.api('GET', `/v1/meters/${id}`)).body.relayState).toBe('closed'), 20_000);
    }

    const garbled = await fk.api('POST', '/v1/meters/m-garbled/commands', { role: 'operator', body: { action: 'disconnect', reason: 'garbled ack' } });
    const done = await eventually(async () => {
      const c = (await fk.api('GET', `/v1/commands/${garbled.body.id}`, { role: 'operator' })).body;
      expect(c.state).toBe('confirmed');
      return c;
    }, 20_000);
    expect(done).toMatchObject({ outcome: 'confirmed', attempts: 1, lastError: null });
    expect(done.lastAttemptError).toMatch(/^control trip of meter 000000000031 on bus line-1: the reply's checksum is wrong/);
    expect(sim.meter(GARBLED).controls.map((c) => c.outcome)).toEqual(['ok']);
    const metrics = (await fk.api('GET', '/metrics', { role: 'read-only' })).body as string;
    expect(metrics).toMatch(/feikong_bus_checksum_failures_total\{bus="line-1"\} [1-9]/);

    const deaf = await fk.api('POST', '/v1/meters/m-deaf/commands', { role: 'operator', body: { action: 'disconnect', reason: 'first send lost' } });
    const second = await eventually(async () => {
      const c = (await fk.api('GET', `/v1/commands/${deaf.body.id}`, { role: 'operator' })).body;
      expect(c.state).toBe('confirmed');
      return c;
    }, 30_000);
    expect(second).toMatchObject({ outcome: 'confirmed', attempts: 2, lastError: null });
    expect(second.lastAttemptError).toMatch(/^control trip of meter 000000000032 on bus line-1: no reply within \d+ ms/);
  }, 120_000);
});
