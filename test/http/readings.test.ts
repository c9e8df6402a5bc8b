// A meter's readings over the API: a time range, oldest first, paged by cursor, times with offset.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let fk: TestDaemon;
const T0 = Date.parse('2026-11-22T00:00:00+08:00');
const HOUR = 3_600_000;

beforeAll(async () => {
  fk = await startTestDaemon({ buses: [{ id: 'line-1', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 2400 }] });
  await fk.api('POST', '/v1/accounts', { body: { id: 'r-1', name: 'Zhou' } });
  await fk.api('POST', '/v1/meters', { body: { id: 'rm-1', accountId: 'r-1', protocol: 'dlt645', busId: 'line-1', address: '000000000042' } });
  for (let i = 0; i < 10; i++) fk.daemon.repos.meters.insertReading('rm-1', T0 + i * HOUR, 1_000_000 + i * 500);
});
afterAll(async () => fk?.stop());

describe('GET /v1/meters/{id}/readings', () => {
  it('pages through a range oldest first by cursor', async () => {
    const from = encodeURIComponent('2026-11-22T02:00:00+08:00');
    const to = encodeURIComponent('2026-11-22T08:00:00+08:00');
    const first = await fk.api('GET', `/v1/meters/rm-1/readings?from=${from}&to=${to}&limit=4`, { role: 'billing' });
    expect(first.status).toBe(200);
    expect(first.body.readings.map((r: { energyWh: number }) => r.energyWh)).toEqual([1_001_000, 1_001_500, 1_002_000, 1_002_500]);
    expect(first.body.readings[0].ts).toBe('2026-11-22T02:00:00.000+08:00');
    const second = await fk.api('GET', `/v1/meters/rm-1/readings?from=${from}&to=${to}&limit=4&after=${first.body.next}`, { role: 'billing' });
    expect(second.body.readings.map((r: { energyWh: number }) => r.energyWh)).toEqual([1_003_000, 1_003_500]);
    expect(second.body.next).toBeNull();
  });

  it('answers 404 for an unknown meter and 400 for a bad time', async () => {
    expect((await fk.api('GET', '/v1/meters/nope/readings', { role: 'read-only' })).body.error.code).toBe('METER_NOT_FOUND');
    expect((await fk.api('GET', '/v1/meters/rm-1/readings?from=yesterday', { role: 'read-only' })).status).toBe(400);
    expect((await fk.api('GET', '/v1/meters/rm-1/readings?limit=5001', { role: 'read-only' })).status).toBe(400);
  });
});
