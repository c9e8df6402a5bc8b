// Simulator meters configured as real meters are, registered through the API with their edition
// and profile, collected over a pseudo-terminal, each with its values stored and shown: a
// single-phase meter without status word 3, one that answers only 00000000, a 1997 meter, a
// remote fee-control meter refusing some DIs with the error word, and a three-phase meter. A
// relay command to a meter that cannot show its relay ends unconfirmable, with a review item.
import { afterEach, describe, expect, it } from 'vitest';
import { DataIdentifier as DI } from '../../protocols/dlt645/index.js';
import { createPtyPair } from '../../simulators/pty.js';
import { startDlt645Bus, type SimMeterOptions } from '../../simulators/dlt645/index.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address } from './helpers.js';
import { TEST_POLLING } from './daemon-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const BUS = 'line-1';
const NO_SW3 = address(11);
const COMBINED = address(12);
const OLD = address(13);
const REFUSING = address(14);
const THREE = address(15);

const METERS: Array<SimMeterOptions & { profile: string; edition?: '2007' | '1997' }> = [
  // A single-phase meter that is not a remote fee-control meter: no status word 3.
  { address: NO_SW3, energyWh: 1_000, loadW: 0, voltageV: 229.9, powerFactor: 0.95, profile: 'dlt645-2007-single-phase',
    registers: [DI.forwardActiveTotal, DI.phaseAVoltage, DI.phaseACurrent, DI.activePowerTotal, DI.powerFactorTotal] },
  // Answers only the combined active energy register.
  { address: COMBINED, energyWh: 2_000, profile: 'dlt645-2007-combined-energy', registers: [DI.combinedActiveTotal] },
  // DL/T 645-1997: 9010 and the variables, no status words.
  { address: OLD, energyWh: 3_000, voltageV: 218, edition: '1997', profile: 'dlt645-1997-single-phase' },
  // A remote fee-control meter without the overdraft register and the power factor: "no requested data".
  { address: REFUSING, energyWh: 4_000, remainingFen: 12_345, voltageV: 221.5, profile: 'dlt645-2007-remote-fee-control',
    registers: [DI.forwardActiveTotal, DI.statusWord3, DI.remainingAmount, DI.phaseAVoltage, DI.phaseACurrent, DI.activePowerTotal] },
  // Three-phase, time-of-use.
  { address: THREE, energyWh: 5_000, tariffWh: [500, 1_500, 2_000, 1_000], phases: 3, voltageV: 230.1, powerFactor: 0.9, profile: 'dlt645-2007-three-phase' },
];

describe('meters as they really are', () => {
  it('collects each kind through the API, keeping every value it answers and counting what it does not', async () => {
    const pty = cleanup.add(await createPtyPair(), (p) => p.close());
    const sim = cleanup.add(await startDlt645Bus({ transport: { kind: 'serial', path: pty.a }, baudRate: 38_400, responseDelayMs: 20, meters: METERS }), (s) => s.close());
    const fk = cleanup.add(await startTestDaemon({
      buses: [{ id: BUS, kind: 'serial', path: pty.b, baudRate: 38_400 }],
      polling: { ...TEST_POLLING, intervalMs: 500 }, engine: { sweepIntervalMs: 3_600_000 },
    }), (d) => d.stop());
    expect((await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Zhang Wei' } })).status).toBe(201);
    for (const m of METERS) {
      const res = await fk.api('POST', '/v1/meters', {
        body: { id: `m-${m.address}`, accountId: 'acc-1', protocol: 'dlt645', busId: BUS, address: m.address, profile: m.profile, ...(m.edition ? { edition: m.edition } : {}) },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ profile: m.profile, edition: m.edition ?? '2007', relayState: 'unknown' });
    }
    // A 2007 edition with a 1997 profile is refused, naming the field.
    const wrong = await fk.api('POST', '/v1/meters', { body: { id: 'm-x', accountId: 'acc-1', protocol: 'dlt645', busId: BUS, address: address(99), profile: 'dlt645-1997-single-phase' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toContain('profile "dlt645-1997-single-phase" is for DL/T 645-1997 meters');

    const meter = async (a: string) => (await fk.api('GET', `/v1/meters/m-${a}`, { role: 'read-only' })).body;
    await eventually(async () => {
      for (const m of METERS) expect((await meter(m.address)).lastEnergyWh, m.address).toBe(m.energyWh);
    }, 30_000);
    // The refusing meter's missing DIs are asked once, counted, and rest: the cycle after is whole.
    await eventually(async () => expect((await meter(REFUSING)).live.activePowerTotal).toBeDefined(), 20_000);

    const single = await meter(NO_SW3);
    expect(single).toMatchObject({ relayState: 'unknown', profileInUse: 'dlt645-2007-single-phase', online: true });
    expect(single.live).toMatchObject({ phaseAVoltage: { value: 229.9, unit: 'V' }, phaseACurrent: { value: 0, unit: 'A' }, activePowerTotal: { value: 0, unit: 'kW' }, powerFactorTotal: { value: 0.95, unit: '' } });
    const polled = ['00010000', '02010100', '02020100', '02030000', '02060000'];
    // Every polled DI answered (a timeout on a loaded machine would count as 'no-reply', never as refused).
    const answered = single.dataIdentifiers.filter((d: { di: string; answeredAt: string | null; missReason: string | null }) => polled.includes(d.di));
    expect(answered.map((d: { di: string; answeredAt: string | null; missReason: string | null }) => [d.di, d.answeredAt !== null, d.missReason === 'no-requested-data']))
      .toEqual(polled.map((di) => [di, true, false]));
    // It has no daily freeze yet (no midnight since it started): the latest freeze is counted as missed, once a day.
    // (On a loaded machine the miss may be a timeout instead: 'no-reply'.)
    expect(single.dataIdentifiers.find((d: { di: string }) => d.di === '05060001')).toMatchObject({ answeredAt: null, misses: 1 });

    const combined = await meter(COMBINED);
    expect(combined).toMatchObject({ relayState: 'unknown', profileInUse: 'dlt645-2007-combined-energy', lastEnergyWh: 2_000 });
    expect(combined.dataIdentifiers.map((d: { di: string }) => d.di)).toEqual(['00000000']);

    const old = await meter(OLD);
    expect(old).toMatchObject({ relayState: 'unknown', edition: '1997', profileInUse: 'dlt645-1997-single-phase' });
    expect(old.live.phaseAVoltage).toMatchObject({ value: 218, unit: 'V' });
    expect(old.dataIdentifiers.find((d: { di: string }) => d.di === '9010')).toMatchObject({ lastValue: 3_000 });
    expect(sim.meter(OLD).edition).toBe('1997');

    const refusing = await meter(REFUSING);
    expect(refusing).toMatchObject({ relayState: 'closed', lastEnergyWh: 4_000 });
    expect(refusing.live).toMatchObject({ remainingAmount: { value: 12_345, unit: 'fen' }, phaseAVoltage: { value: 221.5, unit: 'V' } });
    // Of the DIs polled every cycle (daily freezes and event counts have their own schedule).
    const everyPoll = ['00010000', '04000503', '00900200', '00900201', '02010100', '02020100', '02030000', '02060000'];
    const missed = refusing.dataIdentifiers.filter((d: { di: string; misses: number; missReason: string }) => everyPoll.includes(d.di) && d.misses > 0 && d.missReason === 'no-requested-data');
    expect(missed.map((d: { di: string; misses: number; missReason: string }) => [d.di, d.misses, d.missReason])).toEqual([
      ['00900201', 1, 'no-requested-data'], ['02060000', 1, 'no-requested-data'],
    ]);

    const three = await meter(THREE);
    expect(three).toMatchObject({ relayState: 'unknown' });
    expect(three.live).toMatchObject({
      phaseAVoltage: { value: 230.1 }, phaseBVoltage: { value: 230.1 }, phaseCVoltage: { value: 230.1 },
      phaseACurrent: { value: 0 }, phaseBCurrent: { value: 0 }, phaseCCurrent: { value: 0 }, powerFactorTotal: { value: 0.9 },
    });

    // The readings carry the values read with them; the values resource keeps their history.
    const readings = (await fk.api('GET', `/v1/meters/m-${NO_SW3}/readings`, { role: 'read-only' })).body.readings;
    expect(readings[0].values).toMatchObject({ phaseAVoltage: 229.9, powerFactorTotal: 0.95 });
    const values = (await fk.api('GET', `/v1/meters/m-${NO_SW3}/values?quantity=phaseAVoltage`, { role: 'read-only' })).body.values;
    expect(values.length).toBeGreaterThanOrEqual(1);
    expect(values.every((v: { value: number; unit: string }) => v.value === 229.9 && v.unit === 'V')).toBe(true);

    // A relay command to a meter that cannot show its relay: sent, never confirmed.
    const cmd = await fk.api('POST', `/v1/meters/m-${NO_SW3}/commands`, { role: 'operator', body: { action: 'disconnect', reason: 'meter exchange' } });
    expect(cmd.status).toBe(202);
    await eventually(async () => {
      const c = (await fk.api('GET', `/v1/commands/${cmd.body.id}`, { role: 'operator' })).body;
      expect(c).toMatchObject({ state: 'unconfirmable', outcome: 'unconfirmable' });
      expect(c.lastError).toContain('cannot show its relay state');
    }, 20_000);
    expect(sim.meter(NO_SW3).controls.map((c) => c.action)).toEqual(['trip']);
    const reviews = (await fk.api('GET', `/v1/reviews?meterId=m-${NO_SW3}`, { role: 'operator' })).body.items;
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ kind: 'relay-unconfirmable', accountId: 'acc-1' });
    expect((await meter(NO_SW3)).relayState).toBe('unknown');
  }, 120_000);
});

