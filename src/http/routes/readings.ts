// A meter's readings (cumulative register values), oldest first, in a time range, paged by cursor,
// each with the live values taken with it; a meter's live values (voltage, current, power, …) in a
// time range; its daily frozen readings.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { Id, Iso, Limit, NextCursor, errorResponses } from '../schemas.js';
import { AppError } from '../../errors.js';
import { QUANTITIES, fromStored } from '../../live-values.js';

const ReadingView = Type.Object({
  ts: Iso, energyWh: Type.Integer({ description: 'cumulative register, Wh' }),
  values: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: 'live values read with it, by quantity, in their units (GET …/values says which)' })),
});
const ValueView = Type.Object({ quantity: Type.String(), value: Type.Number(), unit: Type.String(), ts: Iso });
const FrozenView = Type.Object({
  day: Type.String({ description: "the meter's local day the freeze opens" }), frozenAt: Iso, energyWh: Type.Integer(), readAt: Iso,
});

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
    const byTs = new Map<number, Record<string, number>>();
    if (rows.length > 0) {
      for (const v of repos.meterData.values(id, rows[0]!.ts, last!.ts + 1, 50_000)) {
        const at = byTs.get(v.ts) ?? {};
        at[v.quantity] = fromStored(v.quantity, v.value);
        byTs.set(v.ts, at);
      }
    }
    return {
      meterId: id,
      readings: rows.map((r) => {
        const values = byTs.get(r.ts);
        return values ? { ts: isoAt(r.ts, tz)!, energyWh: r.energyWh, values } : { ts: isoAt(r.ts, tz)!, energyWh: r.energyWh };
      }),
      next: rows.length === limit && last ? String(last.ts) : null,
    };
  });

  app.get('/v1/meters/:id/values', {
    config: { roles: ['operator', 'billing', 'read-only'] },
    schema: {
      tags: ['meters'], summary: "A meter's live values (voltage, current, active power, power factor, frequency, remaining and overdraft amount) in [from, to), oldest first",
      description: 'The latest value of each quantity and a bounded history before it (polling.liveValuesKept per quantity), from DL/T 645 profiles, Modbus register maps and concentrator readings. Money is integer fen.',
      params: Type.Object({ id: Id }),
      querystring: Type.Object({
        quantity: Type.Optional(Type.String({ pattern: '^[A-Za-z]{1,40}$', description: 'one quantity, e.g. phaseAVoltage' })),
        from: Type.Optional(Iso), to: Type.Optional(Iso), limit: Limit(10_000, 1000),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ meterId: Type.String(), values: Type.Array(ValueView) }), ...errorResponses },
    },
  }, async (request) => {
    const { id } = request.params;
    if (!repos.meters.get(id)) throw new AppError('METER_NOT_FOUND', `meter ${id} does not exist`);
    const q = request.query;
    const rows = repos.meterData.values(id, q.from ? Date.parse(q.from) : 0, q.to ? Date.parse(q.to) : Number.MAX_SAFE_INTEGER, q.limit ?? 1000)
      .filter((v) => q.quantity === undefined || v.quantity === q.quantity);
    return { meterId: id, values: rows.map((v) => ({ quantity: v.quantity, value: fromStored(v.quantity, v.value), unit: QUANTITIES[v.quantity]?.unit ?? '', ts: isoAt(v.ts, tz)! })) };
  });

  app.get('/v1/meters/:id/frozen-readings', {
    config: { roles: ['operator', 'billing', 'read-only'] },
    schema: {
      tags: ['meters'], summary: "A meter's daily frozen readings (日冻结) of days in [from, to], oldest first",
      description: 'Read once a day from meters whose profile has daily freezes, and backfilled (补抄) from the meter\'s frozen history after an outage; each is also a reading, charged once.',
      params: Type.Object({ id: Id }),
      querystring: Type.Object({
        from: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })), to: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ meterId: Type.String(), days: Type.Array(FrozenView) }), ...errorResponses },
    },
  }, async (request) => {
    const { id } = request.params;
    if (!repos.meters.get(id)) throw new AppError('METER_NOT_FOUND', `meter ${id} does not exist`);
    const rows = repos.meterData.frozen(id, request.query.from ?? '0000-00-00', request.query.to ?? '9999-99-99');
    return { meterId: id, days: rows.map((r) => ({ day: r.day, frozenAt: isoAt(r.frozenAt, tz)!, energyWh: r.energyWh, readAt: isoAt(r.readAt, tz)! })) };
  });
};
