// GET /v1/accounts/{id}/energy-reconciliation: per meter and charging period, the energy the
// register measured beside the energy the ledger charged (src/ledger/reconciliation.ts,
// docs/charging.md "Reconciling energy").
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { Id, Iso, errorResponses } from '../schemas.js';
import { AppError } from '../../errors.js';
import { energyReconciliation } from '../../ledger/reconciliation.js';
import { FOREVER } from '../../domain/tariff-time.js';

const PeriodRow = Type.Object({
  meterId: Type.String(),
  tariffId: Type.String(),
  periodStart: Iso,
  periodEnd: Iso,
  meteredWh: Type.Integer({ description: "the register's rise over the period: its value at each boundary measured at a reading there, else interpolated between the readings around it" }),
  chargedWh: Type.Integer({ description: "the energy the ledger's consumption entries charged to the period (their breakdown parts)" }),
  differenceWh: Type.Integer({ description: 'chargedWh − meteredWh: 0 when every reading was charged once and rightly' }),
});

const MeterRow = Type.Object({
  meterId: Type.String(),
  meteredWh: Type.Integer({ description: "the register's rise since the meter's first reading" }),
  ledgerWh: Type.Integer({ description: 'the energy of all the meter\'s consumption entries' }),
  unattributedWh: Type.Integer({ description: 'of ledgerWh, in entries written before entries carried a breakdown' }),
  differenceWh: Type.Integer({ description: 'ledgerWh − meteredWh' }),
});

export const energyRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos } = services;
  const tz = services.config.utcOffsetMinutes;

  app.get('/v1/accounts/:id/energy-reconciliation', {
    config: { roles: ['operator', 'billing', 'read-only'] },
    schema: {
      tags: ['accounts'],
      summary: 'Metered against charged energy, per meter and charging period (and per meter overall)',
      description: 'Charging periods are the tariff\'s periods (a ladder\'s year or month, a billing month), cut short by tariff changes; '
        + 'those overlapping [from, to] are listed whole. See docs/charging.md.',
      params: Type.Object({ id: Id }),
      querystring: Type.Object({ from: Type.Optional(Iso), to: Type.Optional(Iso) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          accountId: Type.String(),
          periods: Type.Array(PeriodRow),
          meters: Type.Array(MeterRow),
          totals: Type.Object({ meteredWh: Type.Integer(), chargedWh: Type.Integer(), differenceWh: Type.Integer() }, { description: 'over the periods listed' }),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    const account = repos.accounts.get(request.params.id);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `account ${request.params.id} does not exist`);
    const from = request.query.from ? Date.parse(request.query.from) : -FOREVER;
    const to = request.query.to ? Date.parse(request.query.to) : FOREVER;
    if (from > to) throw new AppError('VALIDATION', 'from is after to', { field: 'from' });
    const { periods, meters } = energyReconciliation(repos, account, tz, from, to);
    const meteredWh = periods.reduce((s, p) => s + p.meteredWh, 0);
    const chargedWh = periods.reduce((s, p) => s + p.chargedWh, 0);
    return {
      accountId: account.id,
      periods: periods.map((p) => ({ ...p, periodStart: isoAt(p.periodStart, tz)!, periodEnd: isoAt(p.periodEnd, tz)!, differenceWh: p.chargedWh - p.meteredWh })),
      meters: meters.map((m) => ({ ...m, differenceWh: m.ledgerWh - m.meteredWh })),
      totals: { meteredWh, chargedWh, differenceWh: chargedWh - meteredWh },
    };
  });
};
