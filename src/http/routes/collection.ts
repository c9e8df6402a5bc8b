// Collection success rate (采集成功率) by bus, from the poll results counted since the daemon
// started (feikong_polls_total), with each bus's meters online now; and concentrators, if any.
// The daily completeness report: per bus and concentrator, which meters have their reading of a
// day (the daily freeze, else a reading within the day) and which are missing.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { Iso, Nullable, NullableIso, errorResponses } from '../schemas.js';
import { AppError } from '../../errors.js';

const BusCollection = Type.Object({
  busId: Type.String(),
  polls: Type.Integer({ description: 'scheduled reads attempted since start' }),
  succeeded: Type.Integer(),
  timeouts: Type.Integer(),
  errors: Type.Integer(),
  successRate: Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'succeeded / polls; null before the first poll' })),
  meters: Type.Integer(),
  online: Type.Integer(),
});

const ConcentratorCollection = Type.Object({
  id: Type.String(), status: Type.String(), statusAt: NullableIso, meters: Type.Integer(), online: Type.Integer(), stale: Type.Integer(),
});

export const collectionRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos, config } = services;
  const tz = config.utcOffsetMinutes;
  const startedAt = services.now();

  app.get('/v1/collection', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['collection'], summary: 'Collection success rate by bus since the daemon started, meters online, and concentrators',
      response: {
        200: Type.Object({
          since: Iso,
          total: Type.Object({ polls: Type.Integer(), succeeded: Type.Integer(), successRate: Nullable(Type.Number()), meters: Type.Integer(), online: Type.Integer() }),
          buses: Type.Array(BusCollection),
          concentrators: Type.Array(ConcentratorCollection),
        }),
        ...errorResponses,
      },
    },
  }, async () => {
    const polls = new Map<string, { succeeded: number; timeouts: number; errors: number }>();
    const entry = (bus: string) => {
      let e = polls.get(bus);
      if (!e) polls.set(bus, (e = { succeeded: 0, timeouts: 0, errors: 0 }));
      return e;
    };
    for (const v of (await services.metrics.pollsTotal.get()).values) {
      const e = entry(String(v.labels.bus));
      if (v.labels.result === 'ok') e.succeeded += v.value;
      else if (v.labels.result === 'timeout') e.timeouts += v.value;
      else e.errors += v.value;
    }
    const counts = new Map(repos.meters.countsByBus().map((c) => [c.busId ?? '', c]));
    const busIds = [...new Set([...config.buses.map((b) => b.id), ...polls.keys()])];
    const buses = busIds.map((busId) => {
      const p = polls.get(busId) ?? { succeeded: 0, timeouts: 0, errors: 0 };
      const total = p.succeeded + p.timeouts + p.errors;
      const c = counts.get(busId);
      return { busId, polls: total, ...p, successRate: total > 0 ? p.succeeded / total : null, meters: c?.meters ?? 0, online: c?.online ?? 0 };
    });
    const sum = (pick: (b: (typeof buses)[number]) => number) => buses.reduce((n, b) => n + pick(b), 0);
    const totalPolls = sum((b) => b.polls);
    return {
      since: isoAt(startedAt, tz)!,
      total: { polls: totalPolls, succeeded: sum((b) => b.succeeded), successRate: totalPolls > 0 ? sum((b) => b.succeeded) / totalPolls : null, meters: sum((b) => b.meters), online: sum((b) => b.online) },
      buses,
      concentrators: repos.meters.concentrators().map((c) => ({ ...c, statusAt: isoAt(c.statusAt, tz) })),
    };
  });

  app.get('/v1/collection/daily', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['collection'], summary: 'Completeness of one day: per bus and concentrator, the meters with their billing-day reading and the ones missing',
      description: "A meter has the day when its daily freeze of that day (日冻结) was read or backfilled, or, for meters without freezes and concentrator meters, when it has a reading within the day (local time, utcOffsetMinutes).",
      querystring: Type.Object({ day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'local day YYYY-MM-DD' }) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          day: Type.String(), meters: Type.Integer(), complete: Type.Integer(),
          groups: Type.Array(Type.Object({
            busId: Nullable(Type.String()), concentratorId: Nullable(Type.String()), meters: Type.Integer(), complete: Type.Integer(),
            missing: Type.Array(Type.String(), { description: 'ids of the meters without the day' }),
          })),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    const { day } = request.query;
    const from = Date.parse(`${day}T00:00:00Z`) - tz * 60_000;
    if (!Number.isFinite(from)) throw new AppError('VALIDATION', `querystring.day: "${day}" is not a date`, { field: 'day' });
    const rows = repos.meterData.dayCompleteness(day, from, from + 86_400_000);
    const groups = new Map<string, { busId: string | null; concentratorId: string | null; meters: number; complete: number; missing: string[] }>();
    for (const r of rows) {
      const k = `${r.busId ?? ''} ${r.concentratorId ?? ''}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { busId: r.busId, concentratorId: r.concentratorId, meters: 0, complete: 0, missing: [] }));
      g.meters++;
      if (r.complete) g.complete++;
      else g.missing.push(r.id);
    }
    return { day, meters: rows.length, complete: rows.filter((r) => r.complete).length, groups: [...groups.values()] };
  });
};
