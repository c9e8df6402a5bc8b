// Balances for billing systems: one account, or up to 5,000 at once in one prepared query. Both
// only read, so billing, operator and read-only keys may call both.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { BalanceView, Id, errorResponses } from '../schemas.js';
import { AppError } from '../../errors.js';

/** The most account ids one balance query takes (resource limit). */
export const MAX_BALANCE_QUERY = 5000;

const READERS = ['billing', 'operator', 'read-only'] as const;

export const balanceRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos } = services;

  app.get('/v1/balances/:accountId', {
    config: { roles: READERS },
    schema: {
      tags: ['balances'], summary: "An account's balance and alarm state",
      params: Type.Object({ accountId: Id }),
      response: { 200: BalanceView, ...errorResponses },
    },
  }, async (request) => {
    const found = repos.accounts.balance(request.params.accountId);
    if (!found) throw new AppError('ACCOUNT_NOT_FOUND', `account ${request.params.accountId} does not exist`);
    return found;
  });

  app.post('/v1/balances/query', {
    // A read with a body: read-only keys may call it, as they may GET one balance.
    config: { roles: READERS, query: true },
    schema: {
      tags: ['balances'], summary: `Balances of up to ${MAX_BALANCE_QUERY} accounts at once; unknown ids are listed in \`missing\``,
      body: Type.Object({ accountIds: Type.Array(Id, { minItems: 1, maxItems: MAX_BALANCE_QUERY }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ balances: Type.Array(BalanceView), missing: Type.Array(Type.String()) }), ...errorResponses },
    },
  }, async (request) => {
    const ids = request.body.accountIds;
    const balances = repos.accounts.balances(ids);
    const found = new Set(balances.map((b) => b.accountId));
    return { balances, missing: [...new Set(ids.filter((id) => !found.has(id)))] };
  });
};
