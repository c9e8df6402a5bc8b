// Collection success rate by bus: a simulated DTU with one meter that answers and one address
// nobody answers; the rate comes from the daemon's own poll results.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDlt645Bus, type SimBus } from '../../simulators/dlt645/bus.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';

let sim: SimBus;
let fk: TestDaemon;

beforeAll(async () => {
  sim = await startDlt645Bus({ transport: { kind: 'tcp', host: '127.0.0.1', port: 0 }, baudRate: 9600, responseDelayMs: 20, meters: [{ address: '000000000001', energyWh: 1_000_000 }] });
  fk = await startTestDaemon({
    buses: [{ id: 'dtu-1', kind: 'tcp', host: '127.0.0.1', port: sim.port!, baudRate: 9600 }],
    polling: { intervalMs: 300, responseDelayMaxMs: 60, retries: 0 },
  });
  await fk.api('POST', '/v1/accounts', { body: { id: 'c-1', name: 'Sun' } });
  await fk.api('POST', '/v1/meters', { body: { id: 'cm-1', accountId: 'c-1', protocol: 'dlt645', busId: 'dtu-1', address: '000000000001' } });
  await fk.api('POST', '/v1/meters', { body: { id: 'cm-2', accountId: 'c-1', protocol: 'dlt645', busId: 'dtu-1', address: '000000000002' } });
});
afterAll(async () => {
  await fk?.stop();
  await sim?.close();
});

describe('GET /v1/collection', () => {
  it('reports reads, successes, timeouts and the success rate per bus', async () => {
    const body = await eventually(async () => {
      const res = await fk.api('GET', '/v1/collection', { role: 'operator' });
      expect(res.status).toBe(200);
      const bus = res.body.buses.find((b: { busId: string }) => b.busId === 'dtu-1');
      expect(bus.succeeded).toBeGreaterThanOrEqual(2);
      expect(bus.timeouts).toBeGreaterThanOrEqual(2);
      return res.body;
    }, 20_000);
    const bus = body.buses[0];
    expect(bus.polls).toBe(bus.succeeded + bus.timeouts + bus.errors);
    expect(bus.successRate).toBeCloseTo(bus.succeeded / bus.polls, 10);
    expect(bus.successRate).toBeGreaterThan(0);
    expect(bus.successRate).toBeLessThan(1);
    expect(bus.meters).toBe(2);
    expect(body.total.polls).toBe(bus.polls);
    expect(body.since).toMatch(/\+08:00$/);
    expect(body.concentrators).toEqual([]);
    expect((await fk.api('GET', '/v1/collection', { role: 'billing' })).status).toBe(403);
  });
});
