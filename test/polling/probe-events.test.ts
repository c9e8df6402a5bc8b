// Probing a meter (POST /v1/meters/{id}/probe): the edition and DIs it answers and the profile
// that fits it, for meters of each kind. Meter events: a cover opened or a power-down raises the
// meter's event count, which the poller reads on its schedule and turns into a 'meter-event'
// with the latest record.
import { afterEach, describe, expect, it } from 'vitest';
import { DataIdentifier as DI } from '../../protocols/dlt645/index.js';
import { createPtyPair } from '../../simulators/pty.js';
import { startDlt645Bus } from '../../simulators/dlt645/index.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address } from './helpers.js';
import { TEST_POLLING } from './daemon-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const KINDS = [
  { address: address(31), options: {}, suggested: 'dlt645-2007-remote-fee-control' },
  { address: address(32), options: { phases: 3 as const }, suggested: 'dlt645-2007-three-phase' },
  { address: address(33), options: { registers: [DI.combinedActiveTotal] }, suggested: 'dlt645-2007-combined-energy' },
  { address: address(34), options: { edition: '1997' as const }, suggested: 'dlt645-1997-single-phase' },
  { address: address(35), options: { registers: [DI.forwardActiveTotal, DI.phaseAVoltage, DI.activePowerTotal] }, suggested: 'dlt645-2007-single-phase' },
];

describe('probe and meter events', () => {
  it('probes each kind of meter and suggests its profile; raises meter events when a count moves', async () => {
    const pty = cleanup.add(await createPtyPair(), (p) => p.close());
    const sim = cleanup.add(await startDlt645Bus({
      transport: { kind: 'serial', path: pty.a }, baudRate: 38_400, responseDelayMs: 20,
      meters: KINDS.map((k) => ({ address: k.address, energyWh: 7_000, ...k.options })),
    }), (s) => s.close());
    const fk = cleanup.add(await startTestDaemon({
      buses: [{ id: 'line-1', kind: 'serial', path: pty.b, baudRate: 38_400 }],
      polling: { ...TEST_POLLING, intervalMs: 300, eventsIntervalMs: 300 }, engine: { sweepIntervalMs: 3_600_000 },
    }), (d) => d.stop());
    await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Zhou Min' } });
    for (const k of KINDS) {
      const edition = k.options.edition === '1997' ? 'auto' : '2007';
      expect((await fk.api('POST', '/v1/meters', { body: { id: `m-${k.address}`, accountId: 'acc-1', protocol: 'dlt645', busId: 'line-1', address: k.address, edition } })).status).toBe(201);
    }
    for (const k of KINDS) {
      const res = await fk.api('POST', `/v1/meters/m-${k.address}/probe`, { role: 'operator' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body, k.address).toMatchObject({ meterId: `m-${k.address}`, edition: k.options.edition ?? '2007', suggestedProfile: k.suggested, profile: null });
    }
    const three = (await fk.api('POST', `/v1/meters/m-${address(32)}/probe`, { role: 'operator' })).body;
    expect(three.answered.find((a: { di: string }) => a.di === '02010200')).toMatchObject({ name: 'phaseBVoltage', value: 220 });
    const combined = (await fk.api('POST', `/v1/meters/m-${address(33)}/probe`, { role: 'operator' })).body;
    expect(combined.missed.find((m: { di: string }) => m.di === '00010000')).toMatchObject({ reason: 'no-requested-data' });

    // Events: the single-phase profile reads power-down, programming and cover-open counts.
    const id = `m-${address(35)}`;
    await fk.api('PATCH', `/v1/meters/${id}`, { body: { profile: 'dlt645-2007-single-phase' } });
    // A meter with every register has the counts and records, like any smart meter.
    const full = sim.meter(address(31));
    await fk.api('PATCH', `/v1/meters/m-${address(31)}`, { body: { profile: 'dlt645-2007-remote-fee-control' } });
    // The first counts read are a baseline: nothing is raised for events before feikong knew the meter.
    await eventually(() => expect(fk.daemon.repos.meterData.dataIdentifiers(`m-${address(31)}`).find((d) => d.di === '03300D00')?.lastValue).toBe('0'), 20_000);
    full.recordEvent('coverOpen', { at: Date.parse('2026-11-20T10:00:00+08:00'), endAt: Date.parse('2026-11-20T10:05:00+08:00') });
    const events = await eventually(async () => {
      const list = (await fk.api('GET', `/v1/events?type=meter-event&meterId=m-${address(31)}`, { role: 'read-only' })).body.events;
      expect(list).toHaveLength(1);
      return list;
    }, 20_000);
    expect(events[0].data).toMatchObject({
      kind: 'cover-open', count: 1, previousCount: 0, record: { at: '2026-11-20 10:00:00', endAt: '2026-11-20 10:05:00' },
    });
    // The meter without event registers: its counts are asked, counted as missing, and rest.
    await eventually(() => expect(fk.daemon.repos.meterData.dataIdentifiers(id).find((d) => d.di === '03300D00')?.missReason).toBe('no-requested-data'), 20_000);
  }, 120_000);
});
