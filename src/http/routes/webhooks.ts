// Webhook subscribers (admin): subscribe a URL to outbox events, list and stop subscriptions, see
// each delivery's state, resume a paused subscriber and rotate a signing secret. A secret is shown
// once, when it is made; deliveries are signed with it (docs/webhooks.md).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { errorResponses } from '../schemas.js';
import { actorOf } from '../auth.js';
import { AppError } from '../../errors.js';
import type { WebhookRow } from '../../db/repo/webhooks.js';
import { createWebhook, deleteWebhook, resumeWebhook, rotateWebhookSecret } from '../../notify/subscriptions.js';
import { WebhookTargets } from '../../notify/targets.js';

const WebhookView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  eventTypes: Type.Array(Type.String()),
  createdAt: Type.String(),
  state: Type.Union([
    Type.Literal('active', { description: 'deliveries go out, in event order' }),
    Type.Literal('paused', { description: 'a delivery failed on every attempt; nothing is sent until resumed (by POST …/resume or after the cool-off), and events wait in order' }),
  ]),
  pausedAt: Type.Union([Type.String(), Type.Null()]),
  pausedUntil: Type.Union([Type.String(), Type.Null()], { description: 'when a paused subscriber resumes by itself' }),
  pauseReason: Type.Union([Type.String(), Type.Null()]),
  previousSecretValidUntil: Type.Union([Type.String(), Type.Null()], { description: 'during a secret rotation: until when deliveries also carry a signature with the previous secret' }),
});

const DeliveryState = Type.Union(['pending', 'delivered', 'failed', 'cancelled'].map((s) => Type.Literal(s as 'pending')));

export const webhookRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos } = services;
  const tz = services.config.utcOffsetMinutes;
  const targets = services.webhookTargets ?? new WebhookTargets(services.config.webhooks.allowedNetworks);
  const view = (w: WebhookRow) => {
    const now = services.now();
    return {
      id: w.id, url: w.url, eventTypes: JSON.parse(w.eventTypes) as string[], createdAt: isoAt(w.createdAt, tz)!,
      state: w.pausedAt === null ? 'active' as const : 'paused' as const,
      pausedAt: isoAt(w.pausedAt, tz), pausedUntil: isoAt(w.pausedUntil, tz), pauseReason: w.pauseReason,
      previousSecretValidUntil: w.previousSecret !== null && w.previousSecretUntil !== null && w.previousSecretUntil > now ? isoAt(w.previousSecretUntil, tz) : null,
    };
  };
  const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
  const active = (id: string) => {
    const w = repos.webhooks.get(id);
    if (!w || w.active !== 1) throw new AppError('NOT_FOUND', `webhook ${id} does not exist`);
    return w;
  };

  app.post('/v1/webhooks', {
    config: { roles: [] },
    schema: {
      tags: ['webhooks'],
      summary: 'Subscribe a URL to events (all, named types, or prefixes such as "alarm-*"); the answer shows the signing secret once',
      description: 'The URL must lead to public addresses: a host that is or resolves to a loopback, private, link-local or reserved address '
        + '(127.0.0.0/8, ::1, 10/8, 172.16/12, 192.168/16, 169.254/16, fc00::/7, fe80::/10, IPv4-mapped forms…) is refused with 400 unless '
        + 'configured in webhooks.allowedNetworks, and the daemon\'s own listeners always. The check is made again at every delivery.',
      body: Type.Object({
        url: Type.String({ minLength: 8, maxLength: 2000, pattern: '^https?://' }),
        secret: Type.Optional(Type.String({ minLength: 16, maxLength: 200, description: 'HMAC-SHA256 key; generated when absent' })),
        eventTypes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100 })),
      }, { additionalProperties: false }),
      response: { 201: Type.Composite([WebhookView, Type.Object({ secret: Type.String() })]), ...errorResponses },
    },
  }, async (request, reply) => {
    try {
      await targets.check(request.body.url);
    } catch (err) {
      services.metrics.webhookTargetsRefusedTotal.inc({ stage: 'create' });
      throw err;
    }
    const w = createWebhook(repos, request.body, actorOf(request), services.now());
    return reply.status(201).send({ ...view(w), secret: w.secret });
  });

  app.get('/v1/webhooks', {
    config: { roles: [] },
    schema: { tags: ['webhooks'], summary: 'Active webhook subscriptions', response: { 200: Type.Object({ webhooks: Type.Array(WebhookView) }), ...errorResponses } },
  }, async () => ({ webhooks: repos.webhooks.active().map(view) }));

  app.delete('/v1/webhooks/:id', {
    config: { roles: [] },
    schema: { tags: ['webhooks'], summary: 'Stop a subscription; its pending deliveries are cancelled', params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    deleteWebhook(repos, request.params.id, actorOf(request), services.now());
    return reply.status(204).send(null);
  });

  app.post('/v1/webhooks/:id/resume', {
    config: { roles: [] },
    schema: {
      tags: ['webhooks'], summary: 'Resume a paused subscriber now: its waiting events go out in order (audited)',
      params: IdParams, response: { 200: WebhookView, ...errorResponses },
    },
  }, async (request) => {
    const { webhook, eventId } = resumeWebhook(repos, request.params.id, actorOf(request), services.now());
    if (eventId !== null) services.events.emit('event-recorded', eventId, 'webhook-resumed');
    services.webhooks?.kick();
    return view(webhook);
  });

  app.post('/v1/webhooks/:id/secret', {
    config: { roles: [] },
    schema: {
      tags: ['webhooks'],
      summary: 'Rotate the signing secret; the answer shows the new one once. Until overlapSeconds pass, deliveries carry a signature with each secret',
      params: IdParams,
      body: Type.Object({
        secret: Type.Optional(Type.String({ minLength: 16, maxLength: 200, description: 'the new HMAC-SHA256 key; generated when absent' })),
        overlapSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86_400, description: 'how long the previous secret stays valid (default webhooks.secretOverlapMs)' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Composite([WebhookView, Type.Object({ secret: Type.String() })]), ...errorResponses },
    },
  }, async (request) => {
    const overlapMs = request.body.overlapSeconds === undefined ? services.config.webhooks.secretOverlapMs : request.body.overlapSeconds * 1000;
    const { webhook, secret } = rotateWebhookSecret(repos, request.params.id, { secret: request.body.secret, overlapMs }, actorOf(request), services.now());
    return { ...view(webhook), secret };
  });

  app.get('/v1/webhooks/:id/deliveries', {
    config: { roles: [] },
    schema: {
      tags: ['webhooks'], summary: "A subscription's deliveries, oldest event first, paged by event id",
      params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
      querystring: Type.Object({
        after: Type.Optional(Type.Integer({ minimum: 0 })),
        state: Type.Optional(DeliveryState),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
      }),
      response: {
        200: Type.Object({
          deliveries: Type.Array(Type.Object({
            eventId: Type.Integer(), eventType: Type.String(), state: Type.String(), attempts: Type.Integer(),
            nextAttemptAt: Type.Union([Type.String(), Type.Null()]), lastStatus: Type.Union([Type.Integer(), Type.Null()]),
            lastError: Type.Union([Type.String(), Type.Null()]), updatedAt: Type.String(),
          })),
          next: Type.Union([Type.Integer(), Type.Null()]),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    active(request.params.id);
    const limit = request.query.limit ?? 100;
    const rows = repos.webhooks.deliveries(request.params.id, request.query.after ?? 0, request.query.state ?? null, limit);
    return {
      deliveries: rows.map((d) => ({
        eventId: d.eventId, eventType: d.eventType, state: d.state, attempts: d.attempts,
        nextAttemptAt: d.state === 'pending' ? isoAt(d.nextAttemptAt, tz) : null, lastStatus: d.lastStatus, lastError: d.lastError,
        updatedAt: isoAt(d.updatedAt, tz)!,
      })),
      next: rows.length === limit ? rows[rows.length - 1]!.eventId : null,
    };
  });
};
