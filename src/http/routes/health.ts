// Liveness, readiness and Prometheus metrics.
import type { FastifyPluginAsync } from 'fastify';
import type { HttpServices } from '../services.js';

export const healthRoutes: FastifyPluginAsync<{ services: HttpServices }> = async (app, { services }) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const state = services.ready();
    return reply.status(state.ready ? 200 : 503).send(state);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', services.metrics.registry.contentType);
    return services.metrics.registry.metrics();
  });
};
