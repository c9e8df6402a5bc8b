// The ops listener (http.ops): a second, plain-HTTP listener for what operations staff and their
// tools read — /metrics, /docs (the OpenAPI document of the API) and the probes — on an address
// the public cannot reach (loopback, a management network). While it is configured the public
// listener serves neither /metrics nor /docs. Only src/daemon.ts listens.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { HttpServices } from './services.js';
import { registerErrorHandler } from './errors.js';
import { docsUiOptions, registerResponseHeaders } from './hardening.js';
import { healthRoutes } from './routes/health.js';

/** Builds the ops app; `api` must be ready, its OpenAPI document is served as it stands. */
export async function buildOpsHttp(services: HttpServices, logger: Logger, api: FastifyInstance): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger.child({ component: 'http-ops' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  registerErrorHandler(app);
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  registerResponseHeaders(app, false);
  await app.register(swagger, { mode: 'static', specification: { document: api.swagger() as never } });
  await app.register(swaggerUi, docsUiOptions(false));
  await app.register(healthRoutes, { services, metrics: 'public' });
  return app;
}
