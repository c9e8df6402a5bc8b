// API keys (admin only): create (the secret is in the answer, once, and never stored), list and
// revoke. The last active admin key cannot be revoked, so the API cannot lock itself out.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { Cursor, KeyView, Limit, NextCursor, errorResponses } from '../schemas.js';
import { decodeCursor, encodeCursor, keyView } from '../views.js';
import { ROLES, actorOf, createApiKey, type Role } from '../auth.js';
import { AppError } from '../../errors.js';

const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
const KeyName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f]+$' });

export const keyRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos } = services;
  const tz = services.config.utcOffsetMinutes;

  app.post('/v1/keys', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['keys'], summary: 'Create an API key; the secret is shown in this answer only',
      body: Type.Object({ name: KeyName, role: RoleSchema }, { additionalProperties: false }),
      response: { 201: Type.Object({ key: KeyView, secret: Type.String({ description: 'send as Authorization: Bearer <secret>; not retrievable later' }) }), ...errorResponses },
    },
  }, async (request, reply) => {
    const now = services.now();
    const created = repos.transaction(() => {
      const key = createApiKey(repos, request.body.name, request.body.role as Role, now);
      repos.journal.audit(actorOf(request), 'key-created', key.id, { name: request.body.name, role: request.body.role }, now);
      return key;
    });
    reply.header('cache-control', 'no-store');
    return reply.status(201).send({ key: keyView(repos.journal.apiKey(created.id)!, tz), secret: created.secret });
  });

  app.get('/v1/keys', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['keys'], summary: 'API keys in creation order (never their secrets)',
      querystring: Type.Object({ after: Cursor, limit: Limit(500, 100), active: Type.Optional(Type.Boolean({ description: 'only keys not revoked' })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ keys: Type.Array(KeyView), next: NextCursor }), ...errorResponses },
    },
  }, async (request) => {
    const limit = request.query.limit ?? 100;
    const after = decodeCursor(request.query.after);
    const rows = repos.journal.apiKeys(after ? { createdAt: after.at, id: after.id } : null, request.query.active === true, limit);
    const last = rows[rows.length - 1];
    return { keys: rows.map((k) => keyView(k, tz)), next: rows.length === limit && last ? encodeCursor(last.createdAt, last.id) : null };
  });

  app.delete('/v1/keys/:id', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['keys'], summary: 'Revoke an API key (at once; it cannot be undone)',
      params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
      response: { 200: KeyView, ...errorResponses },
    },
  }, async (request) => {
    const now = services.now();
    const id = request.params.id;
    const row = repos.transaction(() => {
      const key = repos.journal.apiKey(id);
      if (!key) throw new AppError('NOT_FOUND', `API key ${id} does not exist`);
      if (key.revokedAt !== null) throw new AppError('CONFLICT', `API key ${id} was already revoked`);
      if (key.role === 'admin' && repos.journal.activeAdminKeys() <= 1) {
        throw new AppError('CONFLICT', 'this is the last active admin key; create another admin key before revoking it');
      }
      repos.journal.revokeApiKey(id, now);
      repos.journal.audit(actorOf(request), 'key-revoked', id, { name: key.name, role: key.role }, now);
      return repos.journal.apiKey(id)!;
    });
    return keyView(row, tz);
  });
};
