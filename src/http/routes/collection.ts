// Collection success rate (采集成功率) by bus, from the poll results counted since the daemon
// started (feikong_polls_total), with each bus's meters online now; and concentrators, if any.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { Iso, Nullable, NullableIso, errorResponses } from '../schemas.js';

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
};
