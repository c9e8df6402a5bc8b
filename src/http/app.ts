// The HTTP application as a Fastify plugin tree: errors, strict JSON bodies, the route access
// table, auth and audit, rate limits per key and per address, response headers, OpenAPI at /docs,
// the operator console at /, then the routes. HTTPS when http.tls is set. Only src/daemon.ts listens.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { HttpServices } from './services.js';
import { registerAuth, registerRouteTable } from './auth.js';
import { errorServerOptions, registerErrorHandler } from './errors.js';
import { buildValidator } from './validation.js';
import { registerStrictJsonParser } from './body.js';
import { anonymousGuard, docsUiOptions, httpsOptions, registerResponseHeaders, trustProxyOption } from './hardening.js';
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
import { mqttCredentialRoutes } from './routes/mqtt-credentials.js';
import { meterSecurityRoutes } from './routes/meter-security.js';
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
import { calendarRoutes } from './routes/calendar.js';
import { energyRoutes } from './routes/energy.js';

export async function buildHttp(services: HttpServices, logger: Logger): Promise<FastifyInstance> {
  const { http } = services.config;
  const https = httpsOptions(http);
  const app = Fastify({
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    // The HTTPS server is typed apart from the HTTP one; the app is the same.
    ...(https ? { https } as unknown as Record<string, never> : {}),
    trustProxy: trustProxyOption(http) as boolean | string[],
    bodyLimit: http.bodyLimitBytes,
    // Per-request logs would dominate at tens of thousands of requests a second; writes are audited.
    logController: new LogController({ disableRequestLogging: true }),
    // JSON bodies are validated as sent, query strings and paths converted (src/http/validation.ts).
    schemaController: { compilersFactory: { buildValidator: buildValidator() } },
    // A bad URL and an unreadable request are answered in the API's error shape too (errors.ts).
    ...errorServerOptions(),
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandler(app);
  registerStrictJsonParser(app);
  registerRouteTable(app);
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  registerResponseHeaders(app, https !== null);
  // After auth (preHandler), so the limit is per API key; requests without a valid key are limited
  // per client address in the auth hook (src/http/hardening.ts), probes never.
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
    onExceeded: () => services.metrics.httpRefusedTotal.inc({ reason: 'rate-limited-key' }),
  });
  registerAuth(app, services.repos, services.now, anonymousGuard(app, http, services.metrics));
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'feikong', version: '0.1.0',
        description: 'Smart-meter head-end and remote prepaid control (费控) API. Request bodies are JSON in UTF-8 and are checked as sent, '
          + 'never converted: money (…Fen, integer fen) and energy (…Wh, integer Wh) fields refuse strings, booleans, arrays and fractions '
          + 'with 400 naming the field; invalid UTF-8 is refused with 400, another charset with 415. Query parameters are converted from '
          + 'text within their bounds. Requests without a valid key are limited per client address (429).',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API key: Authorization: Bearer fk_… (the scheme in any case)' } } },
      security: [{ apiKey: [] }],
      webhooks: webhooksOpenApi(),
    },
  });
  // With an ops listener, /docs and /metrics are served there only (src/http/ops.ts).
  if (!http.ops) await app.register(swaggerUi, docsUiOptions(https !== null));
  await app.register(healthRoutes, { services, metrics: http.ops ? 'none' : http.metricsRequireKey ? 'key' : 'public' });
  await app.register(consoleRoutes);
  await app.register(accountRoutes, { services });
  await app.register(meterRoutes, { services });
  await app.register(paymentRoutes, { services });
  await app.register(webhookRoutes, { services });
  await app.register(ledgerCheckRoutes, { services });
  await app.register(keyRoutes, { services });
  await app.register(mqttCredentialRoutes, { services });
  await app.register(meterSecurityRoutes, { services });
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
  await app.register(calendarRoutes, { services });
  await app.register(energyRoutes, { services });
  return app;
}
