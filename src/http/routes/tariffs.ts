// Tariffs over the API: define a tariff (flat, tiered 阶梯 or time-of-use 峰平谷) once under an id,
// read them, and change an account's tariff from a given time — never in the past nor before the
// account's latest reading, so charges already made are never re-priced (docs/design.md "Money
// and energy"). The domain rules and their errors are in src/ledger/tariffs.ts.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { Id, Iso, errorResponses } from '../schemas.js';
import { actorOf } from '../auth.js';
import { AppError } from '../../errors.js';
import { assignTariff, defineTariff } from '../../ledger/tariffs.js';
import type { TariffRow } from '../../db/repo/tariffs.js';
import { definitionFault, validateTariff, type Tariff } from '../../domain/tariff.js';
import { TariffDefinitionSchema } from '../charging-schemas.js';

const TariffView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  definition: TariffDefinitionSchema,
  createdAt: Iso,
});

const TariffChangeView = Type.Object({
  tariffId: Type.String(),
  effectiveFrom: Iso,
  actor: Type.String(),
  createdAt: Iso,
});

export const tariffRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos } = services;
  const tz = services.config.utcOffsetMinutes;
  const view = (t: TariffRow) => ({ id: t.id, name: t.name, definition: JSON.parse(t.definition) as Tariff, createdAt: isoAt(t.createdAt, tz)! });

  app.get('/v1/tariffs', {
    config: { roles: ['operator', 'billing', 'read-only'] },
    schema: {
      tags: ['tariffs'], summary: 'Every tariff defined, by id',
      response: { 200: Type.Object({ items: Type.Array(TariffView) }), ...errorResponses },
    },
  }, async () => ({ items: repos.tariffs.list().map(view) }));

  app.get('/v1/tariffs/:id', {
    config: { roles: ['operator', 'billing', 'read-only'] },
    schema: {
      tags: ['tariffs'], summary: 'One tariff', params: Type.Object({ id: Id }),
      response: { 200: TariffView, ...errorResponses },
    },
  }, async (request) => {
    const row = repos.tariffs.get(request.params.id);
    if (!row) throw new AppError('NOT_FOUND', `tariff ${request.params.id} does not exist`);
    return view(row);
  });

  app.post('/v1/tariffs', {
    config: { roles: [] },
    schema: {
      tags: ['tariffs'],
      summary: 'Define a tariff; a tariff never changes: the same id again with the same definition answers 200, with another 409',
      description: 'How each kind is charged, with worked examples: docs/charging.md.',
      body: Type.Object({ id: Id, name: Type.String({ minLength: 1, maxLength: 200 }), definition: TariffDefinitionSchema }, { additionalProperties: false }),
      response: { 200: TariffView, 201: TariffView, ...errorResponses },
    },
    // The tariff validator sees the definition before the schema does (the schema would coerce a
    // number into a price string) and names what is wrong; a union's schema errors name every branch.
    preValidation: async (request) => {
      const body = request.body as { definition?: unknown } | null;
      if (body === null || typeof body !== 'object' || body.definition === undefined) return;
      try {
        validateTariff(body.definition);
      } catch (err) {
        const fault = definitionFault(err, 'body.definition');
        throw new AppError('VALIDATION', fault.message, { field: fault.field });
      }
    },
  }, async (request, reply) => {
    const { id, name, definition } = request.body;
    const existed = repos.tariffs.get(id) !== undefined;
    defineTariff(repos, id, name, definition, actorOf(request), services.now());
    reply.code(existed ? 200 : 201);
    return view(repos.tariffs.get(id)!);
  });

  app.get('/v1/accounts/:id/tariff', {
    config: { roles: ['operator', 'billing', 'read-only'] },
    schema: {
      tags: ['tariffs'], summary: "The account's initial tariff and its tariff changes, oldest first (past ones included: they say how past readings were charged)",
      params: Type.Object({ id: Id }),
      response: { 200: Type.Object({ accountId: Type.String(), tariffId: Type.String(), changes: Type.Array(TariffChangeView) }), ...errorResponses },
    },
  }, async (request) => {
    const account = repos.accounts.get(request.params.id);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `account ${request.params.id} does not exist`);
    const changes = repos.tariffs.assignments(account.id).map((a) => ({
      tariffId: a.tariffId, effectiveFrom: isoAt(a.effectiveFrom, tz)!, actor: a.actor, createdAt: isoAt(a.createdAt, tz)!,
    }));
    return { accountId: account.id, tariffId: account.tariffId, changes };
  });

  app.post('/v1/accounts/:id/tariff-changes', {
    config: { roles: ['billing'] },
    schema: {
      tags: ['tariffs'],
      summary: "Change the account's tariff from a time: not in the past and after its latest reading (charges already made are never re-priced)",
      params: Type.Object({ id: Id }),
      body: Type.Object({ tariffId: Id, effectiveFrom: Iso }, { additionalProperties: false }),
      response: { 201: Type.Object({ accountId: Type.String(), tariffId: Type.String(), effectiveFrom: Iso }), ...errorResponses },
    },
  }, async (request, reply) => {
    const effectiveFrom = Date.parse(request.body.effectiveFrom);
    assignTariff(repos, { accountId: request.params.id, tariffId: request.body.tariffId, effectiveFrom, actor: actorOf(request) }, services.now());
    reply.code(201);
    return { accountId: request.params.id, tariffId: request.body.tariffId, effectiveFrom: isoAt(effectiveFrom, tz)! };
  });
};
