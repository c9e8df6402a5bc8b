// Resource limits and hardening: rate limit per API key (another key is unaffected), request size
// limit, page size limits, security headers, and errors that never leak internals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let fk: TestDaemon;
beforeAll(async () => {
  fk = await startTestDaemon({ http: { rateLimit: { max: 5, timeWindowMs: 60_000 }, bodyLimitBytes: 4096 } });
});
afterAll(async () => fk?.stop());

describe('rate limits per key', () => {
  it('answers 429 with a coded error after the limit, for that key only', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await fk.api('GET', '/v1/account-states', { role: 'read-only' })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await fetch(`${fk.daemon.httpUrl}/v1/account-states`, { headers: { authorization: `Bearer ${fk.keys['read-only']}` } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await limited.json()) as any).error.code).toBe('RATE_LIMITED');
    // Another key has its own budget; probes are not limited.
    expect((await fk.api('GET', '/v1/account-states', { role: 'operator' })).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await fk.api('GET', '/healthz', { role: null })).status).toBe(200);
  });
});

describe('request and page sizes', () => {
  it('refuses a body over the limit with 413', async () => {
    const res = await fk.api('POST', '/v1/accounts', { role: 'admin', body: { id: 'big', name: 'x'.repeat(5000) } });
    expect(res).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  });

  it('refuses page sizes over each list maximum', async () => {
    const res = await fk.api('GET', '/v1/accounts?limit=100000', { role: 'admin' });
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toContain('limit');
  });
});

describe('hardening', () => {
  it('sets nosniff on API answers and a strict policy on the console', async () => {
    const api = await fetch(`${fk.daemon.httpUrl}/healthz`);
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    const page = await fetch(`${fk.daemon.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('/console/app.js');
    const js = await fetch(`${fk.daemon.httpUrl}/console/app.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await js.text()).length).toBeGreaterThan(1000);
  });

  it('answers unknown routes and methods with coded errors and no internals', async () => {
    const res = await fetch(`${fk.daemon.httpUrl}/v1/nothing-here`, { headers: { authorization: `Bearer ${fk.keys.admin}` } });
    const body = await res.text();
    expect(res.status).toBe(404);
    expect(JSON.parse(body).error.code).toBe('NOT_FOUND');
    expect(body).not.toMatch(/node_modules|at [\w.]+ \(/);
  });
});
