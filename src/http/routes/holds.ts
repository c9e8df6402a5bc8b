// Holds: keep-power (保电) and manual-off, on meters or accounts (one or a list), with actor,
// reason and expiry; list them, read one, release one. Placing and releasing are audited.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { Cursor, HoldKindSchema, Id, Iso, Limit, NextCursor, NullableIso, Nullable, errorResponses } from '../schemas.js';
import { actorOf } from '../auth.js';
import { AppError } from '../../errors.js';
import type { HoldRow } from '../../db/repo/index.js';

const Kind = HoldKindSchema;
const Scope = Type.Union([Type.Literal('meter'), Type.Literal('account')]);

export const HoldView = Type.Object({
  id: Type.String(),
  kind: Kind,
  scope: Scope,
  targetId: Type.String(),
  actor: Type.String(),
  reason: Type.String(),
  createdAt: Iso,
  expiresAt: NullableIso,
  releasedAt: NullableIso,
  releasedBy: Nullable(Type.String()),
  active: Type.Boolean(),
});

const HoldCreate = Type.Object({
  kind: Kind,
  scope: Scope,
  targetId: Type.Optional(Id),
  targetIds: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 1000, description: 'a list of meters or accounts: one hold each' })),
  reason: Type.String({ minLength: 3, maxLength: 500 }),
  expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'the hold ends by itself then; omit for a hold until released' })),
}, { additionalProperties: false });

export function holdView(h: HoldRow, now: number, tz: number) {
  return {
    ...h, createdAt: isoAt(h.createdAt, tz)!, expiresAt: isoAt(h.expiresAt, tz), releasedAt: isoAt(h.releasedAt, tz),
    active: h.releasedAt === null && (h.expiresAt === null || h.expiresAt > now),
  };
}

export const holdRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const tz = services.config.utcOffsetMinutes;
  const holds = services.engine.holds;

  app.post('/v1/holds', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['holds'], summary: 'Place a keep-power or manual-off hold on meters or accounts', body: HoldCreate,
      response: { 201: Type.Object({ holds: Type.Array(HoldView) }), ...errorResponses },
    },
  }, async (request, reply) => {
    const { body } = request;
    const targetIds = [...(body.targetIds ?? []), ...(body.targetId ? [body.targetId] : [])];
    if (targetIds.length === 0) throw new AppError('VALIDATION', 'body.targetId: give targetId or targetIds', { field: 'body.targetId' });
    const expiresAt = body.expiresAt ? Date.parse(body.expiresAt) : null;
    const placed = holds.place({ kind: body.kind, scope: body.scope, targetIds, actor: actorOf(request), reason: body.reason, expiresAt });
    const now = services.now();
    return reply.status(201).send({ holds: placed.map((h) => holdView(h, now, tz)) });
  });

  app.get('/v1/holds', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['holds'], summary: 'Holds, newest first; active=true for the ones in force',
      querystring: Type.Object({
        active: Type.Optional(Type.Boolean()), kind: Type.Optional(Kind), scope: Type.Optional(Scope), targetId: Type.Optional(Id),
        after: Cursor, limit: Limit(1000, 100),
      }),
      response: { 200: Type.Object({ holds: Type.Array(HoldView), next: NextCursor }), ...errorResponses },
    },
  }, async (request) => {
    const q = request.query;
    const now = services.now();
    const limit = q.limit ?? 100;
    const cursor = q.after ? services.repos.holds.get(q.after) : undefined;
    if (q.after && !cursor) throw new AppError('VALIDATION', 'querystring.after: not a hold id from a previous page', { field: 'querystring.after' });
    const rows = holds.list({
      limit, ...(q.active ? { activeAt: now } : {}), ...(q.kind ? { kind: q.kind } : {}), ...(q.scope ? { scope: q.scope } : {}),
      ...(q.targetId ? { targetId: q.targetId } : {}), ...(cursor ? { before: { createdAt: cursor.createdAt, id: cursor.id } } : {}),
    });
    return { holds: rows.map((h) => holdView(h, now, tz)), next: rows.length === limit ? rows[rows.length - 1]!.id : null };
  });

  app.get('/v1/holds/:id', {
    config: { roles: ['operator', 'read-only'] },
    schema: { tags: ['holds'], summary: 'One hold', params: Type.Object({ id: Id }), response: { 200: HoldView, ...errorResponses } },
  }, async (request) => holdView(holds.get(request.params.id), services.now(), tz));

  app.delete('/v1/holds/:id', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['holds'], summary: 'Release a hold', params: Type.Object({ id: Id }),
      querystring: Type.Object({ reason: Type.Optional(Type.String({ minLength: 3, maxLength: 500 })) }),
      response: { 200: HoldView, ...errorResponses },
    },
  }, async (request) => {
    const released = holds.release(request.params.id, actorOf(request), request.query.reason ?? 'released by an operator');
    return holdView(released, services.now(), tz);
  });
};
