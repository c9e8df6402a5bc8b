// Liveness, readiness and Prometheus metrics (openly, to API keys only, or on the ops listener only).
import type { FastifyPluginAsync } from 'fastify';
import type { HttpServices } from '../services.js';

/** Where /metrics is served: openly, to any API key, or not on this listener (an ops listener has it). */
export type MetricsAccess = 'public' | 'key' | 'none';

export const healthRoutes: FastifyPluginAsync<{ services: HttpServices; metrics?: MetricsAccess }> = async (app, { services, metrics = 'public' }) => {
  // Probes are never rate-limited (config.probe): they must answer while the API is flooded.
  app.get('/healthz', { schema: { hide: true }, config: { probe: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true }, config: { probe: true } }, async (_req, reply) => {
    const state = services.ready();
    return reply.status(state.ready ? 200 : 503).send(state);
  });
  if (metrics === 'none') return;
  app.get('/metrics', { schema: { hide: true }, config: metrics === 'key' ? { roles: ['operator', 'billing', 'read-only'] } : {} }, async (_req, reply) => {
    reply.header('content-type', services.metrics.registry.contentType);
    return services.metrics.registry.metrics();
  });
};
