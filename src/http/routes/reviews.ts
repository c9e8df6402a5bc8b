// Review items: what the engine handed to a person (protected customers at the cut-off level,
// flapping relays, relay faults, meters refusing under their own keep-power); list and resolve.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { Id, Iso, Limit, NextCursor, NullableIso, Nullable, ReviewKindSchema, errorResponses } from '../schemas.js';
import { actorOf } from '../auth.js';
import type { ReviewRow } from '../../db/repo/index.js';

const Kind = ReviewKindSchema;

const ReviewView = Type.Object({
  id: Type.Integer(),
  kind: Kind,
  accountId: Nullable(Type.String()),
  meterId: Nullable(Type.String()),
  reason: Type.String(),
  createdAt: Iso,
  resolvedAt: NullableIso,
  resolvedBy: Nullable(Type.String()),
  resolution: Nullable(Type.String()),
});

export const reviewRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const tz = services.config.utcOffsetMinutes;
  const view = (r: ReviewRow) => ({ ...r, createdAt: isoAt(r.createdAt, tz)!, resolvedAt: isoAt(r.resolvedAt, tz) });

  app.get('/v1/reviews', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['engine'], summary: 'Review items, oldest first; open=true for the ones waiting',
      querystring: Type.Object({
        open: Type.Optional(Type.Boolean()), kind: Type.Optional(Kind), accountId: Type.Optional(Id), meterId: Type.Optional(Id),
        after: Type.Optional(Type.String({ pattern: '^\\d+$' })), limit: Limit(1000, 100),
      }),
      response: { 200: Type.Object({ items: Type.Array(ReviewView), next: NextCursor }), ...errorResponses },
    },
  }, async (request) => {
    const q = request.query;
    const limit = q.limit ?? 100;
    const rows = services.engine.reviews.list({
      limit, after: q.after ? Number(q.after) : 0, ...(q.open !== undefined ? { open: q.open } : {}), ...(q.kind ? { kind: q.kind } : {}),
      ...(q.accountId ? { accountId: q.accountId } : {}), ...(q.meterId ? { meterId: q.meterId } : {}),
    });
    return { items: rows.map(view), next: rows.length === limit ? String(rows[rows.length - 1]!.id) : null };
  });

  app.post('/v1/reviews/:id/resolve', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['engine'], summary: 'Resolve a review item with a note', params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
      body: Type.Object({ resolution: Type.String({ minLength: 3, maxLength: 1000 }) }, { additionalProperties: false }),
      response: { 200: ReviewView, ...errorResponses },
    },
  }, async (request) => view(services.engine.reviews.resolve(request.params.id, actorOf(request), request.body.resolution)));
};
