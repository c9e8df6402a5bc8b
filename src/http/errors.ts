// Maps every error to {"error":{"code","message","details"}} with the right status. Validation
// errors name the field; internal errors are logged and never leak their details.
import type { FastifyError, FastifyInstance } from 'fastify';
import { HTTP_STATUS, isAppError } from '../errors.js';

const CLIENT_CODES: Record<number, string> = {
  404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 406: 'NOT_ACCEPTABLE', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED',
};

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isAppError(error)) {
      return reply.status(HTTP_STATUS[error.code]).send({ error: { code: error.code, message: error.message, details: error.context } });
    }
    if (error.validation) {
      const first = error.validation[0];
      const field = first ? `${error.validationContext ?? 'body'}${first.instancePath.replace(/\//g, '.')}` : error.validationContext;
      const params = first?.params as { missingProperty?: string; additionalProperty?: string } | undefined;
      const extra = params?.missingProperty ?? params?.additionalProperty;
      const name = extra ? `${field}.${extra}` : field;
      return reply.status(400).send({
        error: { code: 'VALIDATION', message: `${name}: ${first?.message ?? error.message}`, details: { field: name, errors: error.validation } },
      });
    }
    if (error.statusCode && error.statusCode < 500) {
      const code = CLIENT_CODES[error.statusCode] ?? 'BAD_REQUEST';
      return reply.status(error.statusCode).send({ error: { code, message: error.message, details: {} } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error; the daemon logged the details', details: {} } });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}`, details: {} } });
  });
}
