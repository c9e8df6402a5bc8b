// HTTP hardening: requests without a valid API key are limited per client address (429) while the
// probes keep answering and valid keys are unaffected; the client address comes from
// X-Forwarded-For only from a trusted proxy; API answers are never cached; /docs may not be framed
// and runs only its own scripts; the Bearer scheme is case-insensitive; /metrics and /docs can
// move to an ops listener or /metrics behind a key; HTTPS from a configured certificate.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const TLS_DIR = join(import.meta.dirname, '..', 'fixtures', 'tls');

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body };
}

async function refused(fk: TestDaemon, reason: string): Promise<number> {
  const metric = await fk.daemon.metrics.httpRefusedTotal.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('requests without a valid key, per client address', () => {
  let fk: TestDaemon;
  beforeAll(async () => {
    // Addresses come from X-Forwarded-For as sent by the trusted proxy at 127.0.0.1 (the test).
    fk = await startTestDaemon({ http: { rateLimit: { anonymousMax: 5, timeWindowMs: 600_000, refusalDelayMs: 0 }, trustProxy: '127.0.0.1' } });
  });
  afterAll(async () => fk?.stop());
  const from = (address: string, extra: Record<string, string> = {}) => ({ 'x-forwarded-for': address, ...extra });

  it('answers 429 past the limit, for no key and wrong keys alike, while probes answer 200', async () => {
    const url = `${fk.daemon.httpUrl}/v1/accounts`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(url, from('203.0.113.7'))).status);
    for (let i = 0; i < 2; i++) statuses.push((await get(url, from('203.0.113.7', { authorization: 'Bearer fk_wrong' }))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);

    const limited = await get(url, from('203.0.113.7', { authorization: 'Bearer fk_still-wrong' }));
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(limited.body.error.message).toContain('203.0.113.7');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await get(url, from('203.0.113.7'))).status).toBe(429);
    // Public pages and unknown routes count too.
    expect((await get(`${fk.daemon.httpUrl}/docs/json`, from('203.0.113.7'))).status).toBe(429);
    expect((await get(`${fk.daemon.httpUrl}/nothing-here`, from('203.0.113.7'))).status).toBe(429);

    // While that address is over its limit: probes answer, a valid key works, another address has its own budget.
    for (let i = 0; i < 20; i++) {
      expect((await get(`${fk.daemon.httpUrl}/healthz`, from('203.0.113.7'))).status).toBe(200);
      expect((await get(`${fk.daemon.httpUrl}/readyz`, from('203.0.113.7'))).status).toBe(200);
    }
    expect((await get(url, from('203.0.113.7', { authorization: `Bearer ${fk.keys['read-only']}` }))).status).toBe(200);
    expect((await get(url, from('203.0.113.8'))).status).toBe(401);

    expect(await refused(fk, 'rate-limited-anonymous')).toBeGreaterThanOrEqual(4);
    expect(await refused(fk, 'unauthenticated')).toBeGreaterThanOrEqual(6);
  });

  it('takes the address from X-Forwarded-For only from the trusted proxy', async () => {
    // The audit records the client address the limit used.
    const created = await fetch(`${fk.daemon.httpUrl}/v1/accounts`, {
      method: 'POST', body: JSON.stringify({ id: 'acc-ip', name: 'Sun Li' }),
      headers: { ...from('198.51.100.20'), authorization: `Bearer ${fk.keys.admin}`, 'content-type': 'application/json' },
    });
    expect(created.status).toBe(201);
    const audit = await fk.api('GET', '/v1/audit?target=%2Fv1%2Faccounts');
    expect(audit.body.entries).toEqual(expect.arrayContaining([expect.objectContaining({ detail: expect.objectContaining({ ip: '198.51.100.20', status: 201 }) })]));
  });
});

describe('an untrusted X-Forwarded-For', () => {
  let fk: TestDaemon | null = null;
  afterEach(async () => fk?.stop());

  it('is ignored: the limit is on the connecting address, whatever the header says; a 429 comes after a pause', async () => {
    fk = await startTestDaemon({ http: { rateLimit: { anonymousMax: 2, timeWindowMs: 600_000, refusalDelayMs: 400 } } });
    const statuses: number[] = [];
    const took: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      statuses.push((await get(`${fk.daemon.httpUrl}/v1/accounts`, { 'x-forwarded-for': `192.0.2.${i}` })).status);
      took.push(performance.now() - t0);
    }
    expect(statuses).toEqual([401, 401, 429, 429]);
    // Held at least half the pause (it varies by ±50 %): a client ignoring Retry-After is slowed.
    expect(Math.min(took[2]!, took[3]!)).toBeGreaterThanOrEqual(190); // timers may fire a millisecond early
  });
});

describe('headers and the auth scheme', () => {
  let fk: TestDaemon;
  beforeAll(async () => {
    fk = await startTestDaemon();
  });
  afterAll(async () => fk?.stop());

  it('marks API answers, errors and probes Cache-Control: no-store', async () => {
    const ok = await get(`${fk.daemon.httpUrl}/v1/accounts`, { authorization: `Bearer ${fk.keys.admin}` });
    const unauthenticated = await get(`${fk.daemon.httpUrl}/v1/accounts`);
    const missing = await get(`${fk.daemon.httpUrl}/v1/nothing`, { authorization: `Bearer ${fk.keys.admin}` });
    const probe = await get(`${fk.daemon.httpUrl}/healthz`);
    for (const res of [ok, unauthenticated, missing, probe]) expect(res.headers.get('cache-control')).toBe('no-store');
    expect([ok.status, unauthenticated.status, missing.status, probe.status]).toEqual([200, 401, 404, 200]);
    expect(ok.headers.get('strict-transport-security')).toBeNull(); // plain HTTP: no HSTS
  });

  it('serves /docs with a CSP of its own scripts and no framing', async () => {
    const page = await get(`${fk.daemon.httpUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('swagger-initializer.js');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'self' ?;/); // its own files only: nothing inline, nothing from elsewhere
    expect(csp).not.toContain('upgrade-insecure-requests'); // would break the page over plain HTTP
    expect(csp).not.toContain('validator.swagger.io');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const doc = await get(`${fk.daemon.httpUrl}/docs/json`);
    expect(doc.headers.get('x-frame-options')).toBe('DENY');
    expect(doc.body.paths['/v1/payments']).toBeDefined();
  });

  it('takes the Bearer scheme in any case, and nothing else', async () => {
    const key = fk.keys['read-only'];
    const status = async (authorization: string) => (await get(`${fk.daemon.httpUrl}/v1/account-states`, { authorization })).status;
    expect(await status(`bearer ${key}`)).toBe(200);
    expect(await status(`BEARER ${key}`)).toBe(200);
    expect(await status(`Bearer   ${key}  `)).toBe(200);
    expect(await status(`Basic ${key}`)).toBe(401);
    expect(await status(`Bearer${key}`)).toBe(401);
    expect(await status('Bearer')).toBe(401);
    expect(await status(`Bearer ${key} extra`)).toBe(401);
  });
});

describe('/metrics and /docs off the public listener', () => {
  let fk: TestDaemon | null = null;
  afterEach(async () => {
    await fk?.stop();
    fk = null;
  });

  it('serves them on the ops listener only, the probes on both', async () => {
    fk = await startTestDaemon({ http: { ops: { port: 0 } } });
    const ops = fk.daemon.opsUrl!;
    expect(ops).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ops).not.toBe(fk.daemon.httpUrl);
    for (const path of ['/metrics', '/docs/json', '/docs']) {
      expect((await get(`${fk.daemon.httpUrl}${path}`)).status, `public ${path}`).toBe(404);
      expect((await get(`${ops}${path}`)).status, `ops ${path}`).toBe(200);
    }
    expect((await get(`${ops}/metrics`)).body).toContain('feikong_payments_total');
    const doc = await get(`${ops}/docs/json`);
    expect(doc.body.paths['/v1/payments'].post).toBeDefined();
    expect((await get(`${ops}/docs`)).headers.get('x-frame-options')).toBe('DENY');
    for (const url of [fk.daemon.httpUrl, ops]) expect((await get(`${url}/healthz`)).status).toBe(200);
    // The API itself is not on the ops listener.
    expect((await get(`${ops}/v1/accounts`, { authorization: `Bearer ${fk.keys.admin}` })).status).toBe(404);
  });

  it('or asks for an API key on /metrics', async () => {
    fk = await startTestDaemon({ http: { metricsRequireKey: true } });
    expect((await get(`${fk.daemon.httpUrl}/metrics`)).status).toBe(401);
    const scraped = await get(`${fk.daemon.httpUrl}/metrics`, { authorization: `Bearer ${fk.keys['read-only']}` });
    expect(scraped.status).toBe(200);
    expect(scraped.body).toContain('feikong_http_refused_total{reason="unauthenticated"} 1');
  });
});

describe('HTTPS', () => {
  let fk: TestDaemon | null = null;
  afterEach(async () => {
    await fk?.stop();
    fk = null;
  });

  it('serves the API over TLS with the configured certificate, with HSTS', async () => {
    fk = await startTestDaemon({ http: { tls: { certFile: join(TLS_DIR, 'cert.pem'), keyFile: join(TLS_DIR, 'key.pem') } } });
    expect(fk.daemon.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string; protocol: string }>((resolve, reject) => {
      const req = httpsRequest(`${fk!.daemon.httpUrl}/v1/account-states`, {
        ca: readFileSync(join(TLS_DIR, 'cert.pem')), headers: { authorization: `Bearer ${fk!.keys['read-only']}` },
      }, (r) => {
        const protocol = (r.socket as TLSSocket).getProtocol() ?? '';
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers, body, protocol }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(res.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(JSON.parse(res.body)).toHaveProperty('total', 0);
    // Plain HTTP on the same port gets no API answer.
    await expect(fetch(fk.daemon.httpUrl.replace('https:', 'http:') + '/healthz', { signal: AbortSignal.timeout(5000) }).then((r) => r.status))
      .rejects.toThrow();
  });

  it('stops start-up naming the key when the certificate cannot be read', async () => {
    await expect(startTestDaemon({ http: { tls: { certFile: '/nonexistent/cert.pem', keyFile: join(TLS_DIR, 'key.pem') } } }))
      .rejects.toThrow(/http\.tls\.certFile.*\/nonexistent\/cert\.pem/);
  });
});
