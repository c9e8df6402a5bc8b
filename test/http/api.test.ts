// The HTTP API without buses: roles on every route, error shapes, validation naming the field,
// and idempotent payments under concurrency.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let fk: TestDaemon;

beforeAll(async () => {
  fk = await startTestDaemon({ buses: [{ id: 'line-1', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 2400 }] });
  // The bus points at a closed port: the daemon keeps running, the meter simply stays silent.
  const a = await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Sun Li' } });
  expect(a.status).toBe(201);
  const m = await fk.api('POST', '/v1/meters', { body: { id: 'm-1', accountId: 'acc-1', protocol: 'dlt645', busId: 'line-1', address: '000000000009' } });
  expect(m.status).toBe(201);
});
afterAll(async () => fk?.stop());

type Role = 'admin' | 'operator' | 'billing' | 'read-only';
const routes: Array<{ method: string; path: string; allowed: Role[]; body?: () => unknown }> = [
  { method: 'GET', path: '/v1/accounts/acc-1', allowed: ['admin', 'operator', 'billing', 'read-only'] },
  { method: 'GET', path: '/v1/accounts/acc-1/ledger', allowed: ['admin', 'operator', 'billing', 'read-only'] },
  { method: 'GET', path: '/v1/accounts/acc-1/why', allowed: ['admin', 'operator', 'read-only'] },
  { method: 'GET', path: '/v1/meters/m-1', allowed: ['admin', 'operator', 'billing', 'read-only'] },
  { method: 'GET', path: '/v1/meters/m-1/commands', allowed: ['admin', 'operator', 'read-only'] },
  { method: 'POST', path: '/v1/accounts', allowed: ['admin'], body: () => ({ id: `acc-${Math.random().toString(36).slice(2)}`, name: 'x' }) },
  { method: 'POST', path: '/v1/payments', allowed: ['admin', 'billing'], body: () => ({ accountId: 'acc-1', channel: 'pos', channelTxnId: `t-${Math.random()}`, amountFen: 1 }) },
];

describe('authorisation', () => {
  for (const route of routes) {
    for (const role of ['admin', 'operator', 'billing', 'read-only'] as const) {
      const ok = route.allowed.includes(role);
      it(`${route.method} ${route.path} as ${role} is ${ok ? 'allowed' : 'forbidden'}`, async () => {
        const res = await fk.api(route.method, route.path, { role, body: route.body?.() });
        if (ok) expect(res.status).toBeLessThan(300);
        else expect(res).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
      });
    }
    it(`${route.method} ${route.path} without a key is 401`, async () => {
      const res = await fk.api(route.method, route.path, { role: null, body: route.body?.() });
      expect(res).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
    });
  }

  it('refuses a made-up key', async () => {
    const res = await fetch(`${fk.daemon.httpUrl}/v1/accounts/acc-1`, { headers: { authorization: 'Bearer fk_forged' } });
    expect(res.status).toBe(401);
  });

  it('leaves health and metrics open for probes', async () => {
    expect((await fk.api('GET', '/healthz', { role: null })).status).toBe(200);
    expect((await fk.api('GET', '/metrics', { role: null })).status).toBe(200);
  });
});

describe('errors', () => {
  it('names the field that failed validation', async () => {
    const res = await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-1', channel: 'pos', channelTxnId: 'v-1', amountFen: 1.5 } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION');
    expect(res.body.error.message).toContain('amountFen');
  });

  it('names a missing field', async () => {
    const res = await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-1', channel: 'pos', amountFen: 100 } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toContain('channelTxnId');
  });

  it('refuses unknown fields (mass assignment)', async () => {
    const res = await fk.api('POST', '/v1/accounts', { body: { id: 'acc-mass', name: 'x', balanceFen: 1_000_000 } });
    expect(res.status).toBe(400);
    expect((await fk.api('GET', '/v1/accounts/acc-mass')).status).toBe(404);
  });

  it('answers unknown accounts with a coded 404', async () => {
    const res = await fk.api('GET', '/v1/accounts/nobody');
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'ACCOUNT_NOT_FOUND' } } });
  });

  it('refuses a meter on a bus that is not configured', async () => {
    const res = await fk.api('POST', '/v1/meters', { body: { id: 'm-x', accountId: 'acc-1', protocol: 'dlt645', busId: 'nowhere', address: '000000000010' } });
    expect(res).toMatchObject({ status: 422, body: { error: { code: 'BUS_UNKNOWN' } } });
  });

  it('does not leak internals on malformed JSON', async () => {
    const res = await fetch(`${fk.daemon.httpUrl}/v1/payments`, {
      method: 'POST', headers: { authorization: `Bearer ${fk.keys.billing}`, 'content-type': 'application/json' }, body: '{"accountId":',
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).not.toMatch(/at .*\.(js|ts):\d+/);
  });
});

describe('payments', () => {
  it('credits fifty concurrent copies of one payment once', async () => {
    const before = (await fk.api('GET', '/v1/accounts/acc-1')).body.balanceFen as number;
    const body = { accountId: 'acc-1', channel: 'alipay', channelTxnId: 'ali-2026-0001', amountFen: 12_345 };
    const results = await Promise.all(Array.from({ length: 50 }, () => fk.api('POST', '/v1/payments', { role: 'billing', body })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(49);
    expect(new Set(results.map((r) => r.body.payment.id)).size).toBe(1);
    const after = (await fk.api('GET', '/v1/accounts/acc-1')).body.balanceFen as number;
    expect(after - before).toBe(12_345);
    expect(fk.daemon.repos.ledger.invariantViolations()).toEqual([]);
  });

  it('refuses a resend with a different amount', async () => {
    const body = { accountId: 'acc-1', channel: 'bank', channelTxnId: 'icbc-77', amountFen: 500 };
    expect((await fk.api('POST', '/v1/payments', { role: 'billing', body })).status).toBe(201);
    const res = await fk.api('POST', '/v1/payments', { role: 'billing', body: { ...body, amountFen: 5000 } });
    expect(res).toMatchObject({ status: 409, body: { error: { code: 'LEDGER_DUPLICATE_MISMATCH' } } });
    expect(res.body.error.message).toContain('500');
  });

  it('reverses a payment once', async () => {
    const posted = await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-1', channel: 'counter', channelTxnId: 'c-9', amountFen: 700 } });
    const id = posted.body.payment.id as string;
    const first = await fk.api('POST', `/v1/payments/${id}/reversal`, { role: 'billing', body: { reason: 'keyed twice' } });
    expect(first.status).toBe(200);
    expect(first.body.balanceFen).toBe(posted.body.balanceFen - 700);
    const second = await fk.api('POST', `/v1/payments/${id}/reversal`, { role: 'billing', body: { reason: 'keyed twice' } });
    expect(second).toMatchObject({ status: 409, body: { error: { code: 'PAYMENT_ALREADY_REVERSED' } } });
  });
});

describe('OpenAPI', () => {
  it('documents every /v1 route', async () => {
    const res = await fk.api('GET', '/docs/json', { role: null });
    expect(res.status).toBe(200);
    const paths = Object.keys(res.body.paths);
    for (const p of ['/v1/accounts', '/v1/accounts/{id}', '/v1/payments', '/v1/payments/{id}/reversal', '/v1/meters/{id}/commands']) {
      expect(paths).toContain(p);
    }
  });
});
