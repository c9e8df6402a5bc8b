// GET /v1/ledger/check (admin): the ledger check (src/ledger/check.ts) over every account — the
// cached balances, the running balances, payments and their entries, emergency credit.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { errorResponses } from '../schemas.js';
import { checkLedger } from '../../ledger/check.js';

export const ledgerCheckRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  app.get('/v1/ledger/check', {
    config: { roles: [] },
    schema: {
      tags: ['ledger'], summary: 'Verify the ledger invariants for every account (ok: true when they all hold)',
      response: {
        200: Type.Object({
          ok: Type.Boolean(), checkedAt: Type.String(), accounts: Type.Integer(), entries: Type.Integer(), payments: Type.Integer(),
          violations: Type.Array(Type.Object({ rule: Type.String(), accountId: Type.String(), detail: Type.Record(Type.String(), Type.Any()) })),
        }),
        ...errorResponses,
      },
    },
  }, async () => {
    const report = checkLedger(services.repos, services.now());
    return { ...report, checkedAt: isoAt(report.checkedAt, services.config.utcOffsetMinutes)! };
  });
};
