// A meter's readings (cumulative register values), oldest first, in a time range, paged by cursor.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { Id, Iso, Limit, NextCursor, errorResponses } from '../schemas.js';
import { AppError } from '../../errors.js';

const ReadingView = Type.Object({ ts: Iso, energyWh: Type.Integer({ description: 'cumulative register, Wh' }) });

export const readingRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos } = services;
  const tz = services.config.utcOffsetMinutes;

  app.get('/v1/meters/:id/readings', {
    config: { roles: ['operator', 'billing', 'read-only'] },
    schema: {
      tags: ['meters'], summary: "A meter's readings in [from, to), oldest first, paged by cursor",
      description: 'Readings as charged. A concentrator reading appears once charged: at once when the ingest is idle; under load with the next round of charging, rounds starting mqtt.ingest.chargeDelayMs (6 s) apart.',
      params: Type.Object({ id: Id }),
      querystring: Type.Object({
        from: Type.Optional(Iso), to: Type.Optional(Iso),
        after: Type.Optional(Type.String({ pattern: '^\\d{1,15}$', description: 'the `next` of the previous page' })),
        limit: Limit(5000, 500),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ meterId: Type.String(), readings: Type.Array(ReadingView), next: NextCursor }), ...errorResponses },
    },
  }, async (request) => {
    const { id } = request.params;
    if (!repos.meters.get(id)) throw new AppError('METER_NOT_FOUND', `meter ${id} does not exist`);
    const q = request.query;
    const limit = q.limit ?? 500;
    const from = Math.max(q.from ? Date.parse(q.from) : 0, q.after ? Number(q.after) + 1 : 0);
    const to = q.to ? Date.parse(q.to) : Number.MAX_SAFE_INTEGER;
    const rows = repos.meters.readings(id, from, to, limit);
    const last = rows[rows.length - 1];
    return {
      meterId: id,
      readings: rows.map((r) => ({ ts: isoAt(r.ts, tz)!, energyWh: r.energyWh })),
      next: rows.length === limit && last ? String(last.ts) : null,
    };
  });
};
