// Maps every error to {"error":{"code","message","details"}} with the right status: the daemon's
// own (AppError), schema validation (naming the field and what it takes, in words), Fastify's (a bad URL, bad or empty JSON,
// a wrong content type, a body too large, an unknown route) and Node's HTTP parser's (a request
// it cannot read). Internal errors are logged and never leak their details.
//
//   request ─> HTTP parser ──(unreadable)──────────> clientErrorHandler
//           ─> router ──────(bad URL, long param)──> frameworkErrors
//           ─> (no route) ─────────────────────────> not-found handler
//           ─> body parser, validation, handler ───> error handler
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { HTTP_STATUS, isAppError } from '../errors.js';
import { fieldWords, patternWords } from '../field-words.js';

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

function body(code: string, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, details } };
}

const CLIENT_CODES: Record<number, string> = {
  404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 406: 'NOT_ACCEPTABLE', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED',
};

/** What the route reads: its schema's `consumes`, else JSON. */
function accepted(request: FastifyRequest): string[] {
  const consumes = (request.routeOptions.schema as { consumes?: string[] } | undefined)?.consumes;
  return consumes && consumes.length > 0 ? consumes : ['application/json'];
}

function route(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
}

/** Fastify's own errors, by code: a status, one of our codes and a message a person can act on. */
const FASTIFY_ERRORS: Record<string, (request: FastifyRequest) => { status: number; body: ErrorBody }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => ({
    status: 400,
    body: body('INVALID_JSON', 'the body is not valid JSON: send one JSON document (UTF-8) with content-type: application/json', { field: 'body' }),
  }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => ({
    status: 400,
    body: body('INVALID_JSON', 'the body is empty although content-type is application/json: send a JSON document, or no content-type when there is no body', { field: 'body' }),
  }),
  FST_ERR_CTP_BODY_TOO_LARGE: (request) => {
    const limitBytes = request.routeOptions.bodyLimit;
    return {
      status: 413,
      body: body('PAYLOAD_TOO_LARGE', `the body is larger than ${limitBytes} bytes, the most ${route(request)} accepts; send less at once`, { field: 'body', limitBytes }),
    };
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (request) => {
    const got = request.headers['content-type'];
    const want = accepted(request);
    const sent = got === undefined ? 'a body without a content-type header' : `content-type "${got}"`;
    return {
      status: 415,
      body: body('UNSUPPORTED_MEDIA_TYPE', `${route(request)} does not accept ${sent}; send content-type: ${want.join(' or ')}`, {
        field: 'headers.content-type', got: got ?? null, accepted: want,
      }),
    };
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => ({
    status: 400,
    body: body('BAD_REQUEST', 'the body is not as long as its content-length header says', { field: 'headers.content-length' }),
  }),
};

interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * The schema of the field a validation error is about: the route's schema for that part of the
 * request, walked along the error's schema path to the last property (or array item) it enters.
 */
function fieldSchema(request: FastifyRequest, context: string, err: SchemaError): TSchema | undefined {
  let node = (request.routeOptions.schema as Record<string, unknown> | undefined)?.[context] as Record<string, unknown> | undefined;
  let field: Record<string, unknown> | undefined;
  const steps = err.schemaPath.replace(/^#\/?/, '').split('/').filter((x) => x !== '');
  for (let i = 0; node && i < steps.length; i++) {
    const step = steps[i]!;
    if (step === 'properties' && steps[i + 1] !== undefined) {
      node = (node.properties as Record<string, Record<string, unknown>> | undefined)?.[steps[++i]!];
      field = node;
    } else if (step === 'items') {
      node = node.items as Record<string, unknown> | undefined;
      field = node;
    } else {
      node = node[step] as Record<string, unknown> | undefined;
    }
  }
  if (err.keyword === 'required' && field === undefined) {
    const root = (request.routeOptions.schema as Record<string, { properties?: Record<string, TSchema> }> | undefined)?.[context];
    return root?.properties?.[String(err.params.missingProperty)];
  }
  return field as TSchema | undefined;
}

/** The value the request sent at the error's instance path. */
function sentValue(request: FastifyRequest, context: string, instancePath: string): unknown {
  let value: unknown = context === 'querystring' ? request.query : (request as unknown as Record<string, unknown>)[context];
  for (const step of instancePath.split('/').slice(1)) value = (value as Record<string, unknown> | null | undefined)?.[step];
  return value;
}

/** "body.creditGrade: expected one of A, B, C, D; got "E"", in words rather than the schema's regular expression. */
function validationMessage(request: FastifyRequest, context: string, err: SchemaError, name: string): string {
  if (err.keyword === 'additionalProperties') return `${name} is not a field here (see /docs)`;
  const schema = ['const', 'enum', 'anyOf', 'oneOf', 'pattern', 'type', 'minimum', 'maximum', 'minLength', 'maxLength', 'required', 'format'].includes(err.keyword)
    ? fieldSchema(request, context, err) : undefined;
  if (!schema) {
    const words = err.keyword === 'pattern' ? patternWords(String(err.params.pattern)) : undefined;
    return words ? `${name}: expected ${words}` : `${name}: ${err.message ?? 'is not valid'}`;
  }
  if (err.keyword === 'required') return `${name} is required: ${fieldWords(schema)}`;
  const value = sentValue(request, context, err.instancePath);
  return `${name}: expected ${fieldWords(schema)}; got ${JSON.stringify(value) ?? 'nothing'}`;
}

/** Errors the router raises before any route runs (Fastify's `frameworkErrors` option). */
function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const url = request.raw.url ?? '';
  if (error.code === 'FST_ERR_BAD_URL') {
    void reply.status(400).send(body('BAD_URL',
      `the URL path ${JSON.stringify(url.split('?')[0])} is not valid: a "%" must start a percent-encoded UTF-8 byte such as %20 (write a "%" itself as %25)`,
      { field: 'url' }));
    return;
  }
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.status(414).send(body('URL_TOO_LONG', 'a part of the URL path is too long: ids are at most 64 characters', { field: 'url' }));
    return;
  }
  request.log.error({ err: error }, 'router error');
  void reply.status(500).send(body('INTERNAL', 'internal error; the daemon logged the details'));
}

/** A request Node's HTTP parser cannot read: answered (when the socket still can be) in the same shape, then closed. */
function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time']
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'the request headers are too large']
      : [400, 'BAD_REQUEST', `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'}): check the request line and the headers`];
  this.log.debug({ err }, 'unreadable request');
  if (socket.writable) {
    const json = JSON.stringify(body(code, message));
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
  }
  socket.destroy(err);
}

/** Options of the Fastify factory that route its own errors through here. */
export function errorServerOptions(): Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> {
  return { frameworkErrors, clientErrorHandler };
}

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
      const message = first ? validationMessage(request, error.validationContext ?? 'body', first, name ?? 'request') : error.message;
      return reply.status(400).send({
        error: { code: 'VALIDATION', message, details: { field: name, errors: error.validation } },
      });
    }
    const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
    if (known) {
      const { status, body: answer } = known(request);
      return reply.status(status).send(answer);
    }
    if (error.statusCode && error.statusCode < 500) {
      const code = CLIENT_CODES[error.statusCode] ?? 'BAD_REQUEST';
      return reply.status(error.statusCode).send(body(code, error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(body('INTERNAL', 'internal error; the daemon logged the details'));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(body('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; the routes are listed at /docs`, { method: request.method }));
  });
}
