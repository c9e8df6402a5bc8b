// Dead letters: messages (or single readings) that could not be ingested, kept with their topic
// and reason for an operator to inspect. Read-only, oldest first, paged by cursor (the last id).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { Iso, Limit, Nullable, errorResponses } from '../schemas.js';

const DeadLetterView = Type.Object({
  id: Type.Integer(),
  source: Type.String({ description: 'where it came from, e.g. mqtt' }),
  topic: Nullable(Type.String()),
  payload: Type.String({ description: 'the message as received (UTF-8), at most 64 KiB of it' }),
  reason: Type.String({ description: 'code and detail, e.g. "unknown-meter: no meter …"' }),
  createdAt: Iso,
});

export const deadLetterRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos, config } = services;

  app.get('/v1/dead-letters', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['ingest'], summary: 'Messages that could not be ingested, oldest first, paged by cursor (the last id)',
      querystring: Type.Object({
        after: Type.Optional(Type.Integer({ minimum: 0 })),
        limit: Limit(1000, 100),
        source: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z0-9-]+$' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ deadLetters: Type.Array(DeadLetterView), next: Nullable(Type.Integer()) }), ...errorResponses },
    },
  }, async (request) => {
    const limit = request.query.limit ?? 100;
    const rows = repos.ingest.deadLetters(request.query.after ?? 0, limit, request.query.source ?? null);
    return {
      deadLetters: rows.map((r) => ({ ...r, createdAt: isoAt(r.createdAt, config.utcOffsetMinutes)! })),
      next: rows.length === limit ? rows[rows.length - 1]!.id : null,
    };
  });
};
