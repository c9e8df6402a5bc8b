// Concentrators' MQTT credentials (admin only): create (the password is in the answer, once, and
// never stored; a new credential replaces the concentrator's active one), list and revoke. A
// revocation closes the concentrator's connections to this daemon's embedded broker at once.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { Cursor, Iso, Limit, NextCursor, NullableIso, Nullable, errorResponses } from '../schemas.js';
import { decodeCursor, encodeCursor } from '../views.js';
import { actorOf } from '../auth.js';
import type { MqttCredentialRow } from '../../db/repo/index.js';
import { checkConcentratorId, createMqttCredential, revokeMqttCredential } from '../../mqtt/credentials.js';
import { hashMqttPasswordAsync, newMqttSecret } from '../../mqtt/password-hash.js';
import { clientIdStem } from '../../mqtt/service.js';

const ConcentratorId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$', description: 'the concentrator id, as in its topics; also its MQTT user name' });

const MqttCredentialView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  concentratorId: Type.String(),
  username: Type.String({ description: 'the MQTT user name: the concentrator id' }),
  createdAt: Iso,
  revokedAt: NullableIso,
});

function view(row: MqttCredentialRow, tz: number) {
  return { id: row.id, concentratorId: row.concentratorId, username: row.concentratorId, createdAt: isoAt(row.createdAt, tz)!, revokedAt: isoAt(row.revokedAt, tz) };
}

export const mqttCredentialRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos } = services;
  const tz = services.config.utcOffsetMinutes;

  app.post('/v1/mqtt-credentials', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['mqtt-credentials'],
      summary: "Create a concentrator's MQTT credential; the password is shown in this answer only",
      description: 'User name = the concentrator id. A concentrator has one active credential: a new one revokes the one before (rotation), and closes its connections to the embedded broker.',
      body: Type.Object({ concentratorId: ConcentratorId }, { additionalProperties: false }),
      response: {
        201: Type.Object({
          credential: MqttCredentialView,
          username: Type.String({ description: 'MQTT user name' }),
          password: Type.String({ description: 'MQTT password; not retrievable later' }),
          replaced: Nullable(Type.String({ format: 'uuid', description: 'the credential this one revoked' })),
        }),
        ...errorResponses,
      },
    },
  }, async (request, reply) => {
    const stem = clientIdStem(services.config.mqtt.clientId);
    checkConcentratorId(request.body.concentratorId, stem);
    const password = newMqttSecret();
    const passwordHash = await hashMqttPasswordAsync(password);
    const now = services.now();
    const created = repos.transaction(() => createMqttCredential(repos, request.body.concentratorId, actorOf(request), now, { password, passwordHash }, stem));
    if (created.replaced) services.events.emit('mqtt-credential-revoked', created.replaced);
    reply.header('cache-control', 'no-store');
    return reply.status(201).send({ credential: view(repos.mqttCredentials.get(created.id)!, tz), username: created.username, password: created.password, replaced: created.replaced });
  });

  app.get('/v1/mqtt-credentials', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['mqtt-credentials'], summary: 'MQTT credentials in creation order (never their passwords or hashes)',
      querystring: Type.Object({
        after: Cursor, limit: Limit(500, 100),
        active: Type.Optional(Type.Boolean({ description: 'only credentials not revoked' })),
        concentratorId: Type.Optional(ConcentratorId),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ credentials: Type.Array(MqttCredentialView), next: NextCursor }), ...errorResponses },
    },
  }, async (request) => {
    const limit = request.query.limit ?? 100;
    const after = decodeCursor(request.query.after);
    const rows = repos.mqttCredentials.list(after ? { createdAt: after.at, id: after.id } : null, request.query.active === true, request.query.concentratorId ?? null, limit);
    const last = rows[rows.length - 1];
    return { credentials: rows.map((r) => view(r, tz)), next: rows.length === limit && last ? encodeCursor(last.createdAt, last.id) : null };
  });

  app.delete('/v1/mqtt-credentials/:id', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['mqtt-credentials'], summary: "Revoke a concentrator's MQTT credential (at once; it cannot be undone); its connections are closed",
      params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
      response: { 200: MqttCredentialView, ...errorResponses },
    },
  }, async (request) => {
    const id = request.params.id;
    const now = services.now();
    const row = repos.transaction(() => {
      revokeMqttCredential(repos, id, actorOf(request), now);
      return repos.mqttCredentials.get(id)!;
    });
    services.events.emit('mqtt-credential-revoked', id);
    return view(row, tz);
  });
};
