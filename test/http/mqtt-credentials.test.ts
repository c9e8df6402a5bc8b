// /v1/mqtt-credentials (admin): a concentrator's credential is created with its password in the
// answer only (never stored, never listed), validated, replaced by the next one, listed by page,
// and revoked once; every change is audited with the key's name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { verifyMqttPassword } from '../../src/mqtt/password-hash.js';
import { clientIdStem } from '../../src/mqtt/service.js';

let fk: TestDaemon;
beforeAll(async () => {
  fk = await startTestDaemon({ http: { rateLimit: { max: 0 } } });
});
afterAll(async () => fk?.stop());

describe('MQTT credentials API', () => {
  it('creates a credential whose password verifies against the stored hash, shown once', async () => {
    const res = await fk.api('POST', '/v1/mqtt-credentials', { body: { concentratorId: 'dcu-api-1' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ username: 'dcu-api-1', replaced: null, credential: { concentratorId: 'dcu-api-1', username: 'dcu-api-1', revokedAt: null } });
    const stored = fk.daemon.repos.mqttCredentials.activeOf('dcu-api-1')!;
    expect(stored.id).toBe(res.body.credential.id);
    expect(await verifyMqttPassword(res.body.password, stored.passwordHash)).toBe(true);
    const listed = await fk.api('GET', '/v1/mqtt-credentials?concentratorId=dcu-api-1');
    expect(JSON.stringify(listed.body)).not.toContain(res.body.password);
    expect(JSON.stringify(listed.body)).not.toContain('$7$');
    expect(fk.daemon.repos.ingest.concentrator('dcu-api-1')).toMatchObject({ status: 'unknown' });
  });

  it('refuses a concentrator id that is not one topic level, other fields and other roles', async () => {
    for (const concentratorId of ['a/b', '#', '+', '', 'x'.repeat(65), 'dcu 1', null]) {
      const res = await fk.api('POST', '/v1/mqtt-credentials', { body: { concentratorId } });
      expect(res.status, JSON.stringify(concentratorId)).toBe(400);
      expect(res.body.error.message).toMatch(/concentratorId/);
    }
    expect((await fk.api('POST', '/v1/mqtt-credentials', { body: { concentratorId: 'dcu-x', password: 'mine' } })).status).toBe(400);
    // The daemon's own client ids are no concentrator's.
    const stem = clientIdStem(fk.daemon.config.mqtt.clientId);
    const reserved = await fk.api('POST', '/v1/mqtt-credentials', { body: { concentratorId: `${stem}-control` } });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.message).toContain('reserved');
    for (const role of ['operator', 'billing', 'read-only'] as const) {
      expect((await fk.api('POST', '/v1/mqtt-credentials', { role, body: { concentratorId: 'dcu-x' } })).status).toBe(403);
    }
    expect(fk.daemon.repos.mqttCredentials.activeOf('dcu-x')).toBeUndefined();
  });

  it('replaces the active credential, pages the list, and revokes once', async () => {
    const first = await fk.api('POST', '/v1/mqtt-credentials', { body: { concentratorId: 'dcu-api-2' } });
    const second = await fk.api('POST', '/v1/mqtt-credentials', { body: { concentratorId: 'dcu-api-2' } });
    expect(second.body.replaced).toBe(first.body.credential.id);
    const all = await fk.api('GET', '/v1/mqtt-credentials?concentratorId=dcu-api-2&limit=1');
    expect(all.body.credentials).toHaveLength(1);
    const next = await fk.api('GET', `/v1/mqtt-credentials?concentratorId=dcu-api-2&limit=1&after=${all.body.next}`);
    expect([all.body.credentials[0].id, next.body.credentials[0].id]).toEqual([first.body.credential.id, second.body.credential.id]);
    expect(all.body.credentials[0].revokedAt).not.toBeNull();
    const active = await fk.api('GET', '/v1/mqtt-credentials?concentratorId=dcu-api-2&active=true');
    expect(active.body.credentials.map((c: { id: string }) => c.id)).toEqual([second.body.credential.id]);
    const revoked = await fk.api('DELETE', `/v1/mqtt-credentials/${second.body.credential.id}`);
    expect(revoked.status).toBe(200);
    expect((await fk.api('DELETE', `/v1/mqtt-credentials/${second.body.credential.id}`)).status).toBe(409);
    expect((await fk.api('DELETE', '/v1/mqtt-credentials/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const audit = fk.daemon.repos.db.prepare(`SELECT actor, action FROM audit WHERE action LIKE 'mqtt-credential-%' AND target IN (?, ?) ORDER BY id`)
      .all(first.body.credential.id, second.body.credential.id) as Array<{ actor: string; action: string }>;
    expect(audit).toEqual([
      { actor: 'key:test-admin', action: 'mqtt-credential-created' },
      { actor: 'key:test-admin', action: 'mqtt-credential-revoked' },
      { actor: 'key:test-admin', action: 'mqtt-credential-created' },
      { actor: 'key:test-admin', action: 'mqtt-credential-revoked' },
    ]);
  });
});
