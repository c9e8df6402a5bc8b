// Meters: create, read, their command history, and operator disconnect / reconnect.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { CommandView, Id, MeterView, errorResponses } from '../schemas.js';
import { commandView, meterView } from '../views.js';
import { actorOf } from '../auth.js';
import { createMeter } from '../../fleet.js';
import { AppError } from '../../errors.js';

const MeterCreate = Type.Object({
  id: Id,
  accountId: Id,
  protocol: Type.Literal('dlt645'),
  busId: Id,
  address: Type.String({ pattern: '^\\d{12}$', description: 'DL/T 645 meter address, 12 digits as printed on the meter' }),
  supportsDirectClose: Type.Optional(Type.Boolean({ description: 'false for meters that only know 0x1C N1=1B (close permitted)' })),
}, { additionalProperties: false });

const CommandCreate = Type.Object({
  action: Type.Union([Type.Literal('disconnect'), Type.Literal('reconnect')]),
  reason: Type.String({ minLength: 3, maxLength: 500 }),
  expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
}, { additionalProperties: false });

export const meterRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos, config } = services;
  const tz = config.utcOffsetMinutes;
  const load = (id: string) => {
    const meter = repos.meters.get(id);
    if (!meter) throw new AppError('METER_NOT_FOUND', `meter ${id} does not exist`);
    return meter;
  };

  app.post('/v1/meters', {
    config: { roles: ['admin'] },
    schema: { tags: ['meters'], summary: 'Register a meter', body: MeterCreate, response: { 201: MeterView, ...errorResponses, 422: errorResponses[400] } },
  }, async (request, reply) => {
    const meter = createMeter(repos, config, request.body, actorOf(request), services.now());
    return reply.status(201).send(meterView(meter, tz));
  });

  app.get('/v1/meters/:id', {
    config: { roles: ['operator', 'billing', 'read-only'] },
    schema: { tags: ['meters'], summary: 'A meter and its last known state', params: Type.Object({ id: Id }), response: { 200: MeterView, ...errorResponses } },
  }, async (request) => meterView(load(request.params.id), tz));

  app.get('/v1/meters/:id/commands', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['commands'], summary: 'Relay commands of a meter, newest first', params: Type.Object({ id: Id }),
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) }),
      response: { 200: Type.Object({ commands: Type.Array(CommandView) }), ...errorResponses },
    },
  }, async (request) => {
    load(request.params.id);
    return { commands: repos.commands.forMeter(request.params.id, request.query.limit ?? 50).map((c) => commandView(c, tz)) };
  });

  app.post('/v1/meters/:id/commands', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['commands'], summary: 'Operator disconnect or reconnect of one meter', params: Type.Object({ id: Id }), body: CommandCreate,
      response: { 202: CommandView, ...errorResponses },
    },
  }, async (request, reply) => {
    load(request.params.id);
    const expiresAt = request.body.expiresAt ? Date.parse(request.body.expiresAt) : undefined;
    if (expiresAt !== undefined && expiresAt <= services.now()) throw new AppError('VALIDATION', 'body.expiresAt: must be in the future', { field: 'body.expiresAt' });
    const command = services.commands.request({
      meterId: request.params.id, action: request.body.action, origin: 'operator', actor: actorOf(request), reason: request.body.reason,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    });
    return reply.status(202).send(commandView(command, tz));
  });

  app.get('/v1/commands/:id', {
    config: { roles: ['operator', 'read-only'] },
    schema: { tags: ['commands'], summary: 'One relay command', params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: CommandView, ...errorResponses } },
  }, async (request) => {
    const command = repos.commands.get(request.params.id);
    if (!command) throw new AppError('COMMAND_NOT_FOUND', `command ${request.params.id} does not exist`);
    return commandView(command, tz);
  });

  app.post('/v1/commands/:id/cancel', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['commands'], summary: 'Cancel a queued command', params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
      body: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false }),
      response: { 200: CommandView, ...errorResponses },
    },
  }, async (request) => commandView(services.commands.cancel(request.params.id, actorOf(request), request.body.reason), tz));
};
