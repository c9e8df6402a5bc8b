// Accounts: create, read (balance, relay state, last reading), ledger and the engine's "why".
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { AccountView, Fen, Id, errorResponses } from '../schemas.js';
import { accountView } from '../views.js';
import { actorOf } from '../auth.js';
import { createAccount } from '../../fleet.js';
import { AppError } from '../../errors.js';

const AccountCreate = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  creditGrade: Type.Optional(Type.Union(['A', 'B', 'C', 'D'].map((g) => Type.Literal(g as 'A')))),
  protected: Type.Optional(Type.Boolean()),
  pricePerKwh: Type.Optional(Type.String({ pattern: '^\\d{1,4}(\\.\\d{1,6})?$' })),
  alarmLevel1Fen: Type.Optional(Fen),
  alarmLevel2Fen: Type.Optional(Fen),
  cutoffLevelFen: Type.Optional(Fen),
  restoreLevelFen: Type.Optional(Fen),
}, { additionalProperties: false });

export const accountRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos, config } = services;
  const tz = config.utcOffsetMinutes;

  const load = (id: string) => {
    const account = repos.accounts.get(id);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `account ${id} does not exist`);
    return accountView(account, repos.meters.forAccount(id), tz);
  };

  app.post('/v1/accounts', {
    config: { roles: ['admin'] },
    schema: { tags: ['accounts'], summary: 'Create an account', body: AccountCreate, response: { 201: AccountView, ...errorResponses } },
  }, async (request, reply) => {
    const account = createAccount(repos, config, request.body, actorOf(request), services.now());
    return reply.status(201).send(accountView(account, [], tz));
  });

  app.get('/v1/accounts/:id', {
    config: { roles: ['operator', 'billing', 'read-only'] },
    schema: { tags: ['accounts'], summary: 'An account with its balance, levels and meters', params: Type.Object({ id: Id }), response: { 200: AccountView, ...errorResponses } },
  }, async (request) => load(request.params.id));

  app.get('/v1/accounts/:id/ledger', {
    config: { roles: ['operator', 'billing', 'read-only'] },
    schema: {
      tags: ['accounts'], summary: 'Ledger entries of an account, oldest first, paged by cursor',
      params: Type.Object({ id: Id }),
      querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
      response: {
        200: Type.Object({
          entries: Type.Array(Type.Object({
            id: Type.Integer(), kind: Type.String(), amountFen: Type.Integer(), balanceAfterFen: Type.Integer(),
            paymentId: Type.Union([Type.String(), Type.Null()]), meterId: Type.Union([Type.String(), Type.Null()]),
            energyWh: Type.Union([Type.Integer(), Type.Null()]), reason: Type.Union([Type.String(), Type.Null()]),
            actor: Type.String(), createdAt: Type.String(),
          })),
          next: Type.Union([Type.Integer(), Type.Null()]),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    load(request.params.id);
    const limit = request.query.limit ?? 100;
    const entries = repos.ledger.entries(request.params.id, request.query.after ?? 0, limit);
    return {
      entries: entries.map((e) => ({ ...e, createdAt: isoAt(e.createdAt, tz)! })),
      next: entries.length === limit ? entries[entries.length - 1]!.id : null,
    };
  });

  app.get('/v1/accounts/:id/why', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['accounts'], summary: "The engine's decision for each of the account's meters, with its inputs",
      params: Type.Object({ id: Id }),
      response: { 200: Type.Object({ decisions: Type.Array(Type.Object({
        meterId: Type.String(), action: Type.String(), desired: Type.String(), reason: Type.String(), inputs: Type.Record(Type.String(), Type.Any()),
      })) }), ...errorResponses },
    },
  }, async (request) => {
    load(request.params.id);
    return {
      decisions: services.engine.explain(request.params.id).map((e) => ({
        meterId: e.meterId, action: e.action, desired: e.desired, reason: e.reason,
        inputs: { ...e.input, now: isoAt(e.input.now, tz), alarm2At: isoAt(e.input.alarm2At, tz) },
      })),
    };
  });
};
