// The audit trail, read-only: every command, hold, override, review and engine decision with its
// actor, target, detail and time; newest first, filtered by actor, target and time, paged by cursor.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { Iso, Limit, NextCursor, errorResponses } from '../schemas.js';
import { AppError } from '../../errors.js';

export const auditRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const tz = services.config.utcOffsetMinutes;

  app.get('/v1/audit', {
    config: { roles: ['read-only'] },
    schema: {
      tags: ['audit'], summary: 'Audit trail entries, newest first',
      querystring: Type.Object({
        actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'e.g. key:ops-1, engine, feikong, relay-safety, expiry' })),
        target: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'meter, account, hold target or bulk operation id' })),
        since: Type.Optional(Type.String({ format: 'date-time', description: 'only entries at or after this time' })),
        after: Type.Optional(Type.String({ pattern: '^\\d+$', description: 'the `next` of the previous page' })),
        limit: Limit(1000, 100),
      }),
      response: {
        200: Type.Object({
          entries: Type.Array(Type.Object({
            id: Type.Integer(), actor: Type.String(), action: Type.String(), target: Type.String(), detail: Type.Any(), at: Iso,
          })),
          next: NextCursor,
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    const q = request.query;
    const since = q.since ? Date.parse(q.since) : undefined;
    if (since !== undefined && Number.isNaN(since)) throw new AppError('VALIDATION', 'querystring.since: not an ISO 8601 time', { field: 'querystring.since' });
    const limit = q.limit ?? 100;
    const rows = services.repos.auditLog.page({
      limit, ...(q.actor ? { actor: q.actor } : {}), ...(q.target ? { target: q.target } : {}),
      ...(since !== undefined ? { since } : {}), ...(q.after ? { before: Number(q.after) } : {}),
    });
    return {
      entries: rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown, at: isoAt(r.at, tz)! })),
      next: rows.length === limit ? String(rows[rows.length - 1]!.id) : null,
    };
  });
};
