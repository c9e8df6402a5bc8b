// A concentrator reading's voltage, current, power and meter balance are kept as the meter's live
// values (latest plus a bounded history) and shown by the API, beside the reading itself.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { SimConcentrator } from '../../simulators/concentrator/index.js';
import { address, fleet } from './fixtures.js';

describe('live values from concentrator readings', () => {
  let td: TestDaemon | null = null;
  let sim: SimConcentrator | null = null;
  afterEach(async () => {
    await sim?.stop();
    await td?.stop();
    td = sim = null;
  });

  it('keeps voltageV, currentA, powerKw, remainingYuan and overdraftYuan, the newest ones only', async () => {
    td = await startTestDaemon({ engine: { sweepIntervalMs: 3_600_000 }, polling: { liveValuesKept: 2 } });
    const { repos, config } = td.daemon;
    const [meterId] = fleet(repos, config, 'dcu-1', 1);
    sim = new SimConcentrator({ url: td.daemon.mqttUrl, id: 'dcu-1', ...td.credentials('dcu-1'), meters: [{ address: address(1), energyWh: 1_000_000, loadW: 0 }] });
    await sim.start();
    const t0 = Date.parse('2026-11-22T08:00:00+08:00');
    for (let i = 0; i < 3; i++) {
      await sim.publishRaw(JSON.stringify({ readings: [{
        meter: address(1), ts: new Date(t0 + i * 900_000).toISOString(), energyWh: 1_000_000 + i * 100,
        voltageV: 220.5 + i, currentA: 1.25, powerKw: 0.275, remainingYuan: 123.45 - i, overdraftYuan: 0,
      }] }));
    }
    const meter = (await td.api('GET', `/v1/meters/${meterId}`, { role: 'read-only' })).body;
    expect(meter.live).toMatchObject({
      phaseAVoltage: { value: 222.5, unit: 'V', at: '2026-11-22T08:30:00.000+08:00' }, phaseACurrent: { value: 1.25, unit: 'A' },
      activePowerTotal: { value: 0.275, unit: 'kW' }, remainingAmount: { value: 12_145, unit: 'fen' }, overdraftAmount: { value: 0, unit: 'fen' },
    });
    // Two kept per quantity: the first reading's values are gone.
    const values = (await td.api('GET', `/v1/meters/${meterId}/values?quantity=phaseAVoltage`, { role: 'read-only' })).body.values;
    expect(values.map((v: { value: number }) => v.value)).toEqual([221.5, 222.5]);
  });
});
