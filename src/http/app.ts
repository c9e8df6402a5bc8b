// The HTTP application as a Fastify plugin tree: errors, the route access table,
// auth and audit, rate limits per key, OpenAPI at /docs, the operator console at /, then the
// routes. Only src/daemon.ts listens.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { HttpServices } from './services.js';
import { registerAuth, registerRouteTable } from './auth.js';
import { registerErrorHandler } from './errors.js';
import { AppError } from '../errors.js';
import { healthRoutes } from './routes/health.js';
import { consoleRoutes } from './routes/console.js';
import { accountRoutes } from './routes/accounts.js';
import { meterRoutes } from './routes/meters.js';
import { paymentRoutes } from './routes/payments.js';
import { webhookRoutes } from './routes/webhooks.js';
import { webhooksOpenApi } from '../notify/webhook-openapi.js';
import { ledgerCheckRoutes } from './routes/ledger-check.js';
import { keyRoutes } from './routes/keys.js';
import { balanceRoutes } from './routes/balances.js';
import { readingRoutes } from './routes/readings.js';
import { eventRoutes } from './routes/events.js';
import { importRoutes } from './routes/import.js';
import { importJobRoutes } from './routes/import-jobs.js';
import { collectionRoutes } from './routes/collection.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { holdRoutes } from './routes/holds.js';
import { bulkRoutes } from './routes/bulk.js';
import { engineRoutes } from './routes/engine.js';
import { auditRoutes } from './routes/audit.js';
import { reviewRoutes } from './routes/reviews.js';
import { tariffRoutes } from './routes/tariffs.js';

export async function buildHttp(services: HttpServices, logger: Logger): Promise<FastifyInstance> {
  const { http } = services.config;
  const app = Fastify({
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: http.bodyLimitBytes,
    // Per-request logs would dominate at tens of thousands of requests a second; writes are audited.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandler(app);
  registerRouteTable(app);
  registerAuth(app, services.repos, services.now);
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  // After auth (preHandler), so the limit is per API key; public routes (probes, docs, console) are not limited.
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: http.rateLimit.max > 0 ? http.rateLimit.max : Number.MAX_SAFE_INTEGER,
    timeWindow: http.rateLimit.timeWindowMs,
    keyGenerator: (request) => `key:${request.principal?.keyId ?? request.ip}`,
    allowList: (request) => request.principal === null || http.rateLimit.max === 0,
    errorResponseBuilder: (_request, context) => new AppError('RATE_LIMITED',
      `more than ${context.max} requests in ${Math.round(http.rateLimit.timeWindowMs / 1000)} s with this API key; retry in ${context.after}`,
      { limit: context.max, retryAfter: context.after }),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'feikong', version: '0.1.0', description: 'Smart-meter head-end and remote prepaid control (费控) API' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API key: Authorization: Bearer fk_…' } } },
      security: [{ apiKey: [] }],
      webhooks: webhooksOpenApi(),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(healthRoutes, { services });
  await app.register(consoleRoutes);
  await app.register(accountRoutes, { services });
  await app.register(meterRoutes, { services });
  await app.register(paymentRoutes, { services });
  await app.register(webhookRoutes, { services });
  await app.register(ledgerCheckRoutes, { services });
  await app.register(keyRoutes, { services });
  await app.register(balanceRoutes, { services });
  await app.register(readingRoutes, { services });
  await app.register(eventRoutes, { services });
  await app.register(importRoutes, { services });
  await app.register(importJobRoutes, { services });
  await app.register(collectionRoutes, { services });
  await app.register(deadLetterRoutes, { services });
  await app.register(holdRoutes, { services });
  await app.register(bulkRoutes, { services });
  await app.register(engineRoutes, { services });
  await app.register(auditRoutes, { services });
  await app.register(reviewRoutes, { services });
  await app.register(tariffRoutes, { services });
  return app;
}
