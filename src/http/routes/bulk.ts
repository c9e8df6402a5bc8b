// Operator bulk disconnect / reconnect: meters by id or by a filter, one command each, with
// per-meter results and progress, the meters skipped and why, and a cancel for the queued ones.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { CommandOutcomeSchema, CommandStateSchema, Fen, Id, Iso, Limit, NullableIso, Nullable, errorResponses } from '../schemas.js';
import { actorOf } from '../auth.js';
import { AppError } from '../../errors.js';
import { MAX_BULK_METERS, type BulkView as Bulk } from '../../engine/bulk.js';

const BulkCreate = Type.Object({
  action: Type.Union([Type.Literal('disconnect'), Type.Literal('reconnect')]),
  reason: Type.String({ minLength: 3, maxLength: 500 }),
  meterIds: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: MAX_BULK_METERS })),
  filter: Type.Optional(Type.Object({
    accountIds: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: MAX_BULK_METERS })),
    busId: Type.Optional(Id),
    balanceBelowFen: Type.Optional(Fen),
  }, { additionalProperties: false, minProperties: 1 })),
  expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'expiry of each command (default: the configured command expiry)' })),
}, { additionalProperties: false });

const BulkView = Type.Object({
  id: Type.String(),
  action: Type.String(),
  actor: Type.String(),
  reason: Type.String(),
  state: Type.String({ description: 'running | finished | cancelled' }),
  total: Type.Integer({ description: 'commands created' }),
  createdAt: Iso,
  finishedAt: NullableIso,
  progress: Type.Object({
    queued: Type.Integer(), sent: Type.Integer(), confirmed: Type.Integer(), failed: Type.Integer(),
    expired: Type.Integer(), cancelled: Type.Integer(), refused: Type.Integer(), unconfirmable: Type.Integer(), skipped: Type.Integer(),
  }),
  skipped: Type.Array(Type.Object({ meterId: Type.String(), skipped: Type.String() })),
  results: Type.Array(Type.Object({
    meterId: Type.String(), commandId: Type.String(), state: CommandStateSchema, outcome: Nullable(CommandOutcomeSchema), lastError: Nullable(Type.String()),
  })),
  next: Nullable(Type.String({ description: 'meter id to pass as `after` for the next page of results' })),
});

export const bulkRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const tz = services.config.utcOffsetMinutes;
  const bulk = services.engine.bulk;
  const view = (b: Bulk, after: string | undefined, limit: number) => {
    const from = after ? b.results.findIndex((r) => r.meterId > after) : 0;
    const page = from < 0 ? [] : b.results.slice(from, from + limit);
    const more = from >= 0 && from + limit < b.results.length;
    return { ...b, createdAt: isoAt(b.createdAt, tz)!, finishedAt: isoAt(b.finishedAt, tz), results: page, next: more ? page[page.length - 1]!.meterId : null };
  };

  app.post('/v1/bulk-commands', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['commands'], summary: 'Bulk disconnect or reconnect of meters by id or by filter', body: BulkCreate,
      response: { 202: BulkView, ...errorResponses },
    },
  }, async (request, reply) => {
    const { body } = request;
    const expiresAt = body.expiresAt ? Date.parse(body.expiresAt) : undefined;
    if (expiresAt !== undefined && expiresAt <= services.now()) throw new AppError('VALIDATION', 'body.expiresAt: must be in the future', { field: 'body.expiresAt' });
    const created = bulk.create({
      action: body.action, actor: actorOf(request), reason: body.reason,
      ...(body.meterIds ? { meterIds: body.meterIds } : {}), ...(body.filter ? { filter: body.filter } : {}), ...(expiresAt ? { expiresAt } : {}),
    });
    return reply.status(202).send(view(created, undefined, 1000));
  });

  app.get('/v1/bulk-commands/:id', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['commands'], summary: 'Progress and per-meter results of a bulk operation (results paged by meter id)',
      params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
      querystring: Type.Object({ after: Type.Optional(Id), limit: Limit(10_000, 1000) }),
      response: { 200: BulkView, ...errorResponses },
    },
  }, async (request) => view(bulk.view(request.params.id), request.query.after, request.query.limit ?? 1000));

  app.post('/v1/bulk-commands/:id/cancel', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['commands'], summary: 'Cancel the queued commands of a bulk operation', params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
      body: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false }),
      response: { 200: BulkView, ...errorResponses },
    },
  }, async (request) => view(bulk.cancel(request.params.id, actorOf(request), request.body.reason), undefined, 1000));
};
