// The HTTP application as a Fastify plugin tree (STYLE.md §11): errors, auth, OpenAPI at /docs,
// then the routes. Only src/daemon.ts listens.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { HttpServices } from './services.js';
import { registerAuth } from './auth.js';
import { registerErrorHandler } from './errors.js';
import { healthRoutes } from './routes/health.js';
import { accountRoutes } from './routes/accounts.js';
import { meterRoutes } from './routes/meters.js';
import { paymentRoutes } from './routes/payments.js';

export async function buildHttp(services: HttpServices, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: services.config.http.bodyLimitBytes,
    // Per-request logs would dominate at tens of thousands of requests a second; writes are audited.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandler(app);
  registerAuth(app, services.repos);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'feikong', version: '0.1.0', description: 'Smart-meter head-end and remote prepaid control (费控) API' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API key: Authorization: Bearer fk_…' } } },
      security: [{ apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(healthRoutes, { services });
  await app.register(accountRoutes, { services });
  await app.register(meterRoutes, { services });
  await app.register(paymentRoutes, { services });
  return app;
}
