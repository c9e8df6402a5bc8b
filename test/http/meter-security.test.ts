// /v1/meters/{id}/security: a meter's security mode and key version — its bus's until it has its
// own, set and cleared by admins only, validated, audited with the key's name, and gone with the
// meter (a meter created again under the same id starts from its bus's).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let fk: TestDaemon;
beforeAll(async () => {
  fk = await startTestDaemon({
    http: { rateLimit: { max: 0 } },
    buses: [
      { id: 'esam-line', kind: 'tcp', host: '127.0.0.1', port: 1, dlt645: { security: { mode: 'esam', keyVersion: 3 } } },
      { id: 'plain-line', kind: 'tcp', host: '127.0.0.1', port: 1 },
    ],
    polling: { intervalMs: 86_400_000 },
  });
  await fk.api('POST', '/v1/accounts', { body: { id: 'acc-s', name: 'Qian Hui' } });
  await fk.api('POST', '/v1/meters', { body: { id: 'm-esam', accountId: 'acc-s', protocol: 'dlt645', busId: 'esam-line', address: '000000000051' } });
  await fk.api('POST', '/v1/meters', { body: { id: 'm-plain', accountId: 'acc-s', protocol: 'dlt645', busId: 'plain-line', address: '000000000052' } });
});
afterAll(async () => fk?.stop());

describe('meter security API', () => {
  it('shows the bus’s setting, or plaintext by default', async () => {
    expect((await fk.api('GET', '/v1/meters/m-esam/security')).body).toEqual({ mode: 'esam', keyVersion: 3, source: 'bus' });
    expect((await fk.api('GET', '/v1/meters/m-plain/security', { role: 'operator' })).body).toEqual({ mode: 'plaintext', keyVersion: 0, source: 'default' });
    expect((await fk.api('GET', '/v1/meters/nope/security')).status).toBe(404);
    expect((await fk.api('GET', '/v1/meters/m-esam/security', { role: 'billing' })).status).toBe(403);
  });

  it('sets the meter’s own, audited; clears it back to the bus’s', async () => {
    expect((await fk.api('PUT', '/v1/meters/m-plain/security', { body: { mode: 'esam', keyVersion: 1 } })).body).toEqual({ mode: 'esam', keyVersion: 1, source: 'meter' });
    expect(fk.daemon.repos.meterSecurity.get('m-plain')).toEqual({ mode: 'esam', keyVersion: 1 });
    const audit = (await fk.api('GET', '/v1/audit?target=m-plain')).body;
    expect(JSON.stringify(audit)).toContain('meter-security-set');
    expect(JSON.stringify(audit)).toContain('test-admin');
    expect((await fk.api('DELETE', '/v1/meters/m-plain/security')).body).toEqual({ mode: 'plaintext', keyVersion: 0, source: 'default' });
    expect(JSON.stringify((await fk.api('GET', '/v1/audit?target=m-plain')).body)).toContain('meter-security-cleared');
  });

  it('refuses other roles, unknown modes, key versions out of range and unknown meters', async () => {
    expect((await fk.api('PUT', '/v1/meters/m-esam/security', { role: 'operator', body: { mode: 'esam', keyVersion: 1 } })).status).toBe(403);
    for (const body of [{ mode: 'sm1', keyVersion: 1 }, { mode: 'esam', keyVersion: 256 }, { mode: 'esam', keyVersion: -1 }, { mode: 'esam', keyVersion: 1.5 }, { mode: 'esam' }, { mode: 'esam', keyVersion: 1, extra: true }]) {
      expect((await fk.api('PUT', '/v1/meters/m-esam/security', { body })).status, JSON.stringify(body)).toBe(400);
    }
    expect((await fk.api('PUT', '/v1/meters/nope/security', { body: { mode: 'esam', keyVersion: 1 } })).status).toBe(404);
    expect(fk.daemon.repos.meterSecurity.get('m-esam')).toBeUndefined();
  });

  it('goes with the meter', async () => {
    await fk.api('POST', '/v1/meters', { body: { id: 'm-gone', accountId: 'acc-s', protocol: 'dlt645', busId: 'plain-line', address: '000000000053' } });
    await fk.api('PUT', '/v1/meters/m-gone/security', { body: { mode: 'esam', keyVersion: 2 } });
    expect((await fk.api('DELETE', '/v1/meters/m-gone')).status).toBeLessThan(300);
    expect(fk.daemon.repos.meterSecurity.get('m-gone')).toBeUndefined();
    await fk.api('POST', '/v1/meters', { body: { id: 'm-gone', accountId: 'acc-s', protocol: 'dlt645', busId: 'plain-line', address: '000000000053' } });
    expect((await fk.api('GET', '/v1/meters/m-gone/security')).body).toEqual({ mode: 'plaintext', keyVersion: 0, source: 'default' });
  });
});
