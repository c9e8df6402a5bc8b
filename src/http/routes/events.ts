// The event outbox: paged history (GET /v1/events) and the live stream (GET /v1/events/stream,
// Server-Sent Events, resumable with Last-Event-ID).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { EventView, Id, Limit, Nullable, errorResponses } from '../schemas.js';
import { eventView } from '../views.js';
import { EventStreamHub, SSE_DEFAULTS } from '../sse.js';
import { AppError } from '../../errors.js';

const Types = Type.Optional(Type.String({
  maxLength: 1000, pattern: '^[a-z0-9-]+(,[a-z0-9-]+)*$', description: 'event types, comma-separated (e.g. alarm-level-2,command-confirmed)',
}));

const Filter = {
  type: Types,
  accountId: Type.Optional(Id),
  meterId: Type.Optional(Id),
};

const READERS = ['operator', 'billing', 'read-only'] as const;

export const eventRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos, config } = services;
  const tz = config.utcOffsetMinutes;
  const hub = new EventStreamHub(repos, services.events, {
    ...SSE_DEFAULTS, heartbeatMs: config.http.sseHeartbeatMs, utcOffsetMinutes: tz,
  }, app.log);
  app.addHook('preClose', async () => hub.close());

  app.get('/v1/events', {
    config: { roles: READERS },
    schema: {
      tags: ['events'], summary: 'Outbox events, oldest first (or newest first), paged by cursor (the last event id)',
      description: 'With order=desc the newest events come first and `after` is the cursor of the previous page (ids below it): '
        + 'the latest events, then the stream resumed after the first one\'s id (Last-Event-ID) misses and repeats nothing.',
      querystring: Type.Object({
        ...Filter, after: Type.Optional(Type.Integer({ minimum: 0 })), limit: Limit(1000, 100),
        order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ events: Type.Array(EventView), next: Nullable(Type.Integer()) }), ...errorResponses },
    },
  }, async (request) => {
    const q = request.query;
    const limit = q.limit ?? 100;
    const filter = { types: q.type?.split(','), accountId: q.accountId ?? null, meterId: q.meterId ?? null };
    const rows = q.order === 'desc'
      ? repos.journal.eventsNewestFirst(q.after ?? Number.MAX_SAFE_INTEGER, filter, limit)
      : repos.journal.eventsWhere(q.after ?? 0, filter, limit);
    return { events: rows.map((r) => eventView(r, tz)), next: rows.length === limit ? rows[rows.length - 1]!.id : null };
  });

  app.get('/v1/events/stream', {
    config: { roles: READERS },
    schema: {
      tags: ['events'],
      summary: 'Live events as Server-Sent Events (text/event-stream); each message has the event id and the event as JSON data',
      description: 'Resume with the Last-Event-ID header (or ?after=) to get what was missed first. A comment line is sent on idle streams.',
      querystring: Type.Object({ ...Filter, after: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
      headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^\\d{1,15}$' })) }),
      response: { 200: Type.String({ description: 'text/event-stream' }), ...errorResponses },
    },
  }, async (request, reply) => {
    const q = request.query;
    const header = request.headers['last-event-id'];
    const resume = header !== undefined ? Number(header) : q.after ?? null;
    if (resume !== null && !Number.isSafeInteger(resume)) throw new AppError('VALIDATION', 'headers.last-event-id: not an event id', { field: 'headers.last-event-id' });
    hub.attach(request, reply, { types: q.type?.split(','), accountId: q.accountId ?? null, meterId: q.meterId ?? null }, resume);
    return reply;
  });
};
