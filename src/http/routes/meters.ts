// Meters: list, register, read, change, delete (only without history); relay commands: a meter's
// history, operator disconnect / reconnect, one command, cancel, and the list of all commands
// (e.g. the failed ones for the fleet overview).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isoAt, type HttpServices } from '../services.js';
import {
  CommandOriginSchema, CommandView, Cursor, Id, Iso, Limit, LiveValueView, MeterView, NextCursor, Nullable, RelayStateSchema, errorResponses,
} from '../schemas.js';
import { toStored } from '../../live-values.js';
import { commandView, decodeCursor, encodeCursor, liveView, meterDetailView, meterView } from '../views.js';
import { actorOf } from '../auth.js';
import { MeterInputSchema, MeterPatchSchema, createMeter, deleteMeter, updateMeter } from '../../fleet.js';
import { COMMAND_STATES, type CommandState } from '../../domain/codes.js';
import { AppError } from '../../errors.js';

const READERS = ['operator', 'billing', 'read-only'] as const;

const CommandCreate = Type.Object({
  action: Type.Union([Type.Literal('disconnect'), Type.Literal('reconnect')]),
  reason: Type.String({ minLength: 3, maxLength: 500 }),
  expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
}, { additionalProperties: false });

const STATES = COMMAND_STATES.join('|');
const CommandStates = Type.String({ pattern: `^(${STATES})(,(${STATES}))*$`, description: `states, comma-separated: any of ${COMMAND_STATES.join(', ')} (see Command.state)` });

export const meterRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos, config } = services;
  const tz = config.utcOffsetMinutes;
  const load = (id: string) => {
    const meter = repos.meters.get(id);
    if (!meter) throw new AppError('METER_NOT_FOUND', `meter ${id} does not exist`);
    return meter;
  };
  const commandPage = (rows: ReturnType<typeof repos.commands.list>, limit: number) => {
    const last = rows[rows.length - 1];
    return { commands: rows.map((c) => commandView(c, tz)), next: rows.length === limit && last ? encodeCursor(last.createdAt, last.id) : null };
  };

  app.get('/v1/meters', {
    config: { roles: READERS },
    schema: {
      tags: ['meters'], summary: 'Meters in id order, filtered, paged by cursor (the last id)',
      querystring: Type.Object({
        accountId: Type.Optional(Id), busId: Type.Optional(Id),
        relayState: Type.Optional(RelayStateSchema),
        online: Type.Optional(Type.Boolean()), after: Cursor, limit: Limit(1000, 100),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ meters: Type.Array(MeterView), next: NextCursor }), ...errorResponses },
    },
  }, async (request) => {
    const q = request.query;
    const limit = q.limit ?? 100;
    const rows = repos.meters.list({ accountId: q.accountId ?? null, busId: q.busId ?? null, relayState: q.relayState ?? null, online: q.online ?? null }, q.after ?? '', limit);
    return { meters: rows.map((m) => meterView(m, tz)), next: rows.length === limit ? rows[rows.length - 1]!.id : null };
  });

  app.post('/v1/meters', {
    config: { roles: ['admin'] },
    schema: { tags: ['meters'], summary: 'Register a meter', body: MeterInputSchema, response: { 201: MeterView, ...errorResponses, 422: errorResponses[400] } },
  }, async (request, reply) => {
    const meter = createMeter(repos, config, request.body, actorOf(request), services.now());
    return reply.status(201).send(meterView(meter, tz));
  });

  app.get('/v1/meters/:id', {
    config: { roles: READERS },
    schema: {
      tags: ['meters'], summary: 'A meter and its last known state, with the profile it is read with, what each data identifier did and its latest live values',
      params: Type.Object({ id: Id }), response: { 200: MeterView, ...errorResponses },
    },
  }, async (request) => {
    const meter = load(request.params.id);
    return meterDetailView(meter, {
      profileInUse: services.collection?.profileInUse(meter.id) ?? null,
      dataIdentifiers: repos.meterData.dataIdentifiers(meter.id), live: repos.meterData.latestValues(meter.id),
    }, tz);
  });

  app.post('/v1/meters/:id/read', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['meters'], summary: 'Read a meter now (ahead of scheduled polls); the reading is stored and charged like a scheduled one',
      params: Type.Object({ id: Id }),
      response: {
        200: Type.Object({
          meterId: Type.String(), busId: Type.String(), at: Iso, energyWh: Type.Integer(),
          relay: Nullable(RelayStateSchema),
          live: Type.Record(Type.String(), LiveValueView, { description: 'live values read with the energy (voltage, current, power, …)' }),
          missed: Type.Array(Type.Object({ di: Type.String(), reason: Type.String() }), { description: 'data identifiers the meter did not answer in this read' }),
        }),
        ...errorResponses, 422: errorResponses[400], 502: errorResponses[400], 503: errorResponses[400], 504: errorResponses[400],
      },
    },
  }, async (request) => {
    load(request.params.id);
    if (!services.collection) throw new AppError('BUS_UNKNOWN', 'this daemon polls no buses');
    const read = await services.collection.readMeter(request.params.id);
    const live = liveView((read.live ?? []).flatMap((v) => {
      const stored = toStored(v.quantity, v.value);
      return stored === undefined ? [] : [{ quantity: v.quantity, ts: read.at, value: stored }];
    }), tz);
    const missed = (read.dataIdentifiers ?? []).flatMap((d) => (d.answered ? [] : [{ di: d.di, reason: d.reason }]));
    return { meterId: read.meterId, busId: read.busId, at: isoAt(read.at, tz)!, energyWh: read.energyWh, relay: read.relay, live, missed };
  });

  app.post('/v1/meters/:id/probe', {
    config: { roles: ['operator', 'admin'] },
    schema: {
      tags: ['meters'], summary: 'Ask a DL/T 645 meter which edition and data identifiers it answers, and suggest a reading profile',
      description: 'Reads energy (00010000, 00000000), status word 3, remaining amount, the voltage of phases A and B, power, power factor and the latest daily freeze once each, ahead of scheduled polls; a meter silent to 2007 is asked in 1997 (9010, B611, B630). Nothing is stored or charged: set the suggested profile with PATCH.',
      params: Type.Object({ id: Id }),
      response: {
        200: Type.Object({
          meterId: Type.String(),
          edition: Type.Union([Type.Literal('2007'), Type.Literal('1997'), Type.Null()], { description: 'null: the meter answered nothing' }),
          answered: Type.Array(Type.Object({ di: Type.String(), name: Type.String(), value: Type.Any() })),
          missed: Type.Array(Type.Object({ di: Type.String(), name: Type.String(), reason: Type.String({ description: 'no-reply | bad-checksum | no-requested-data | refused: … | bad-value: …' }) })),
          suggestedProfile: Type.Union([Type.String(), Type.Null()]),
          profile: Type.Union([Type.String(), Type.Null()], { description: "the meter's own profile now" }),
        }),
        ...errorResponses, 422: errorResponses[400], 502: errorResponses[400], 503: errorResponses[400], 504: errorResponses[400],
      },
    },
  }, async (request) => {
    const meter = load(request.params.id);
    if (!services.collection) throw new AppError('BUS_UNKNOWN', 'this daemon polls no buses');
    const found = await services.collection.probe(meter.id);
    return { meterId: meter.id, ...found, profile: meter.profile };
  });

  app.patch('/v1/meters/:id', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['meters'], summary: "Change a meter's bus, address, edition or capabilities (audited)",
      params: Type.Object({ id: Id }), body: MeterPatchSchema, response: { 200: MeterView, ...errorResponses, 422: errorResponses[400] },
    },
  }, async (request) => meterView(updateMeter(repos, config, request.params.id, request.body, actorOf(request), services.now()), tz));

  app.delete('/v1/meters/:id', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['meters'], summary: 'Delete a meter that has no readings, commands or charges (else 409)',
      params: Type.Object({ id: Id }), response: { 204: Type.Null(), ...errorResponses },
    },
  }, async (request, reply) => {
    deleteMeter(repos, request.params.id, actorOf(request), services.now());
    return reply.status(204).send(null);
  });

  app.get('/v1/meters/:id/commands', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['commands'], summary: 'Relay commands of a meter, newest first, paged by cursor', params: Type.Object({ id: Id }),
      querystring: Type.Object({ after: Cursor, limit: Limit(500, 50) }, { additionalProperties: false }),
      response: { 200: Type.Object({ commands: Type.Array(CommandView), next: NextCursor }), ...errorResponses },
    },
  }, async (request) => {
    load(request.params.id);
    const limit = request.query.limit ?? 50;
    const before = decodeCursor(request.query.after);
    return commandPage(repos.commands.list({ meterId: request.params.id }, before && { createdAt: before.at, id: before.id }, limit), limit);
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

  app.get('/v1/commands', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['commands'], summary: 'Relay commands of all meters, newest first, filtered, paged by cursor',
      querystring: Type.Object({
        state: Type.Optional(CommandStates), origin: Type.Optional(CommandOriginSchema),
        since: Type.Optional(Iso), after: Cursor, limit: Limit(500, 50),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ commands: Type.Array(CommandView), next: NextCursor }), ...errorResponses },
    },
  }, async (request) => {
    const q = request.query;
    const limit = q.limit ?? 50;
    const before = decodeCursor(q.after);
    const rows = repos.commands.list({
      states: q.state ? (q.state.split(',') as CommandState[]) : null, origin: q.origin ?? null, since: q.since ? Date.parse(q.since) : null,
    }, before && { createdAt: before.at, id: before.id }, limit);
    return commandPage(rows, limit);
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
