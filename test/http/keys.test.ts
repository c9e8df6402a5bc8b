// API keys over the API: created by an admin with the secret shown once (only its hash stored),
// listed without secrets, revoked at once; the last admin key cannot be revoked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hashSecret } from '../../src/http/auth.js';

let fk: TestDaemon;
beforeAll(async () => {
  fk = await startTestDaemon();
});
afterAll(async () => fk?.stop());

const withSecret = (secret: string, path: string) => fetch(`${fk.daemon.httpUrl}${path}`, { headers: { authorization: `Bearer ${secret}` } });

describe('API keys', () => {
  it('creates a key whose secret works at once and is stored only as a hash', async () => {
    const res = await fk.api('POST', '/v1/keys', { body: { name: 'bank-gateway', role: 'billing' } });
    expect(res.status).toBe(201);
    expect(res.body.key).toMatchObject({ name: 'bank-gateway', role: 'billing', revokedAt: null });
    expect(res.body.secret).toMatch(/^fk_[A-Za-z0-9_-]{32}$/);
    expect((await withSecret(res.body.secret, '/v1/balances/nobody')).status).toBe(404);
    expect((await withSecret(res.body.secret, '/v1/keys')).status).toBe(403);
    const stored = fk.daemon.repos.db.prepare('SELECT secret_hash FROM api_keys WHERE id = ?').pluck().get(res.body.key.id);
    expect(stored).toBe(hashSecret(res.body.secret));
    const dump = JSON.stringify(fk.daemon.repos.db.prepare('SELECT * FROM api_keys').all());
    expect(dump).not.toContain(res.body.secret);
    const audit = fk.daemon.repos.db.prepare("SELECT actor, detail FROM audit WHERE action = 'key-created' AND target = ?").get(res.body.key.id) as { actor: string; detail: string };
    expect(audit.actor).toBe('key:test-admin');
    expect(audit.detail).not.toContain(res.body.secret);
  });

  it('refuses an unknown role and extra fields', async () => {
    expect((await fk.api('POST', '/v1/keys', { body: { name: 'x', role: 'root' } })).status).toBe(400);
    expect((await fk.api('POST', '/v1/keys', { body: { name: 'x', role: 'admin', secret: 'chosen' } })).status).toBe(400);
  });

  it('lists keys in pages without secrets or hashes', async () => {
    for (let i = 0; i < 3; i++) await fk.api('POST', '/v1/keys', { body: { name: `ops-${i}`, role: 'operator' } });
    const names: string[] = [];
    let after: string | null = null;
    do {
      const res: { status: number; body: any } = await fk.api('GET', `/v1/keys?limit=3${after ? `&after=${after}` : ''}`);
      expect(res.status).toBe(200);
      for (const k of res.body.keys) {
        expect(Object.keys(k).sort()).toEqual(['createdAt', 'id', 'name', 'revokedAt', 'role']);
        names.push(k.name);
      }
      after = res.body.next;
    } while (after);
    expect(names).toEqual(expect.arrayContaining(['test-admin', 'test-read-only', 'bank-gateway', 'ops-0', 'ops-1', 'ops-2']));
    expect(new Set(names).size).toBe(names.length);
    expect((await fk.api('GET', '/v1/keys', { role: 'read-only' })).status).toBe(403);
  });

  it('revokes a key at once, once', async () => {
    const created = (await fk.api('POST', '/v1/keys', { body: { name: 'temp', role: 'read-only' } })).body;
    expect((await withSecret(created.secret, '/v1/account-states')).status).toBe(200);
    const res = await fk.api('DELETE', `/v1/keys/${created.key.id}`);
    expect(res.status).toBe(200);
    expect(res.body.revokedAt).not.toBeNull();
    expect((await withSecret(created.secret, '/v1/account-states')).status).toBe(401);
    expect((await fk.api('DELETE', `/v1/keys/${created.key.id}`)).status).toBe(409);
    expect((await fk.api('DELETE', '/v1/keys/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const active = await fk.api('GET', '/v1/keys?active=true&limit=500');
    expect(active.body.keys.map((k: { id: string }) => k.id)).not.toContain(created.key.id);
  });

  it('will not revoke the last active admin key', async () => {
    const admins = (await fk.api('GET', '/v1/keys?active=true&limit=500')).body.keys.filter((k: { role: string }) => k.role === 'admin');
    expect(admins).toHaveLength(1);
    const res = await fk.api('DELETE', `/v1/keys/${admins[0].id}`);
    expect(res).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect((await fk.api('GET', '/v1/keys')).status).toBe(200);
  });
});
