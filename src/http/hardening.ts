// What every listener answers with, whatever the route: response headers (no caching of API
// answers, no sniffing, HSTS over TLS), the /docs page's framing and script policy, the limit on
// requests without a valid API key per client address, and the TLS options of the listener.
//
//   request ─ auth (src/http/auth.ts) ─ valid key? ── yes ─▶ per-key limit (preHandler) ─▶ route
//                                          └─ no (none, unknown, revoked, public page, 404)
//                                               ─▶ per-address limit ─ over? 429 (after a pause) : 401 / route
//   /healthz and /readyz skip both limits: they must answer while the API is flooded.
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import type { Metrics } from '../metrics.js';
import { AppError } from '../errors.js';
import { ConfigError } from '../config/load.js';
import type { AuthGuard } from './auth.js';

type HttpConfig = Config['http'];

/** Refusals held back at once at most (each is a pending timer and an open request); beyond, sent at once. */
const MAX_HELD_REFUSALS = 10_000;

/** One year, the HSTS max-age browsers' preload lists ask for (RFC 6797 §6.1.1). */
const HSTS = 'max-age=31536000';

/**
 * Headers on every answer: `Cache-Control: no-store` unless the route chose its own (balances and
 * keys must not sit in a proxy's or browser's cache), nosniff, and HSTS when served over TLS.
 */
export function registerResponseHeaders(app: FastifyInstance, tls: boolean): void {
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    if (tls) reply.header('strict-transport-security', HSTS);
  });
}

/** @fastify/swagger-ui options for /docs: its own script hashes in a CSP, and no framing anywhere. */
export function docsUiOptions(tls: boolean) {
  return {
    routePrefix: '/docs',
    staticCSP: true,
    // The plugin's policy allows framing by the same origin and upgrades requests to HTTPS (which
    // breaks the page on a plain-HTTP listener): framed by no one, upgraded only under TLS.
    transformStaticCSP: (header: string) => {
      let csp = header.replace(/frame-ancestors [^;]*;/, "frame-ancestors 'none';").replace(/ ?validator\.swagger\.io/, '');
      if (!tls) csp = csp.replace(/\s*upgrade-insecure-requests;?/, '');
      return csp;
    },
    uiHooks: {
      onRequest: async (_request: FastifyRequest, reply: FastifyReply) => {
        reply.header('x-frame-options', 'DENY');
        reply.header('referrer-policy', 'no-referrer');
      },
    },
  };
}

/**
 * The per-address limit on requests without a valid API key, for registerAuth. Uses the store of
 * @fastify/rate-limit (registered before), under keys of its own. Refusals are counted.
 */
export function anonymousGuard(app: FastifyInstance, http: HttpConfig, metrics: Metrics): AuthGuard {
  const refused: AuthGuard['refused'] = (reason) => metrics.httpRefusedTotal.inc({ reason });
  if (http.rateLimit.anonymousMax === 0) return { refused };
  const limit = app.createRateLimit({
    max: http.rateLimit.anonymousMax,
    timeWindow: http.rateLimit.timeWindowMs,
    keyGenerator: (request) => `address:${request.ip}`,
    // The plugin's global allow list lets every keyless request through (it limits keys): not here.
    allowList: () => false,
  });
  const delayMs = http.rateLimit.refusalDelayMs;
  let held = 0;
  return {
    refused,
    async unauthenticated(request, reply) {
      const result = await limit(request);
      if (!('isExceeded' in result) || !result.isExceeded) return;
      metrics.httpRefusedTotal.inc({ reason: 'rate-limited-anonymous' });
      // Held, not worked on: an HTTP/1.1 connection sends its next request only after this answer,
      // so the flood slows to one request per connection per pause. A timer each, and bounded. The
      // pause varies by ±50 % so that connections refused together do not come back together.
      if (delayMs > 0 && held < MAX_HELD_REFUSALS) {
        held++;
        try {
          await new Promise((resolve) => setTimeout(resolve, delayMs * (0.5 + Math.random())));
        } finally {
          held--;
        }
      }
      reply.header('retry-after', result.ttlInSeconds);
      throw new AppError('RATE_LIMITED',
        `more than ${result.max} requests in ${Math.round(http.rateLimit.timeWindowMs / 1000)} s from ${request.ip} without a valid API key; retry in ${result.ttlInSeconds} s`,
        { limit: result.max, retryAfterSeconds: result.ttlInSeconds });
    },
  };
}

/** Fastify's `https` option from http.tls, read once at start; a missing file stops start-up naming the key. */
export function httpsOptions(http: HttpConfig): { key: Buffer; cert: Buffer; ca?: Buffer; minVersion: 'TLSv1.2' } | null {
  if (!http.tls) return null;
  const read = (key: 'certFile' | 'keyFile' | 'caFile', path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`configuration key "http.tls.${key}": cannot read ${path}: ${(err as Error).message}`, `http.tls.${key}`);
    }
  };
  return {
    cert: read('certFile', http.tls.certFile),
    key: read('keyFile', http.tls.keyFile),
    ...(http.tls.caFile ? { ca: read('caFile', http.tls.caFile) } : {}),
    minVersion: 'TLSv1.2',
  };
}

/** Fastify's `trustProxy` from http.trustProxy; from the environment every value is text ("true", "1", "10.0.0.0/8,…"). */
export function trustProxyOption(http: HttpConfig): boolean | number | string[] {
  const t = http.trustProxy;
  if (typeof t !== 'string') return t;
  if (/^(true|false)$/i.test(t.trim())) return t.trim().toLowerCase() === 'true';
  if (/^\d+$/.test(t.trim())) return Number(t.trim());
  return t.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
