// API keys, roles and the audit of writes. Keys are random secrets shown once; only their SHA-256
// is stored. Every /v1 route declares the roles that may call it (admin may call everything); the
// declarations are collected at registration into a table (`app.routeAccess`) that tests and the
// OpenAPI document are checked against. Every write by a key is audited with its identity.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { Repositories } from '../db/repo/index.js';
import { AppError } from '../errors.js';

export const ROLES = ['admin', 'operator', 'billing', 'read-only'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

/** Who may call a route: the roles allowed (admin always included), or 'public'. */
export interface RouteAccess {
  method: string;
  url: string;
  allowed: readonly Role[] | 'public';
  /** the route only reads: a GET, or a POST declared `query` (a read with a large body) */
  reads: boolean;
  /** the route's request and response schemas, as registered (tests walk them) */
  schema?: FastifySchema;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    routeAccess: RouteAccess[];
  }
  interface FastifyContextConfig {
    /** roles allowed besides admin; undefined = public route (not allowed under /v1) */
    roles?: readonly Role[];
    /** a POST that only reads (a query with a large body): not audited as a write */
    query?: boolean;
    /** the handler audits its own successful write inside the write's transaction (payments) */
    auditedInTransaction?: boolean;
    /** a health probe (/healthz, /readyz): never rate-limited, so it answers under overload */
    probe?: boolean;
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function createApiKey(repos: Repositories, name: string, role: Role, now: number): { id: string; secret: string } {
  const id = randomUUID();
  const secret = `fk_${randomBytes(24).toString('base64url')}`;
  repos.journal.insertApiKey(id, name, role, hashSecret(secret), now);
  return { id, secret };
}

/**
 * Collects every route's access rule as it is registered, and refuses a /v1 route that declares
 * no roles or lets read-only keys write. Read-only keys may call every route that only reads: a
 * GET, or a POST declared a query (`config.query`, e.g. the balance query, whose list of ids would
 * not fit a URL). The roles are written into the route's OpenAPI description. Call before any
 * route is registered.
 */
export function registerRouteTable(app: FastifyInstance): void {
  const table: RouteAccess[] = [];
  app.decorate('routeAccess', table);
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    if (methods.length === 0) return; // the HEAD route Fastify adds for a GET: described with it
    const config = route.config as { roles?: readonly Role[]; query?: boolean } | undefined;
    const roles = config?.roles;
    if (roles === undefined && route.url.startsWith('/v1')) {
      throw new Error(`route ${methods.join(',')} ${route.url} declares no roles (config.roles)`);
    }
    const reads = methods.every((m) => READ_METHODS.has(m)) || config?.query === true;
    if (roles?.includes('read-only') && !reads) {
      throw new Error(`route ${methods.join(',')} ${route.url} lets read-only keys write`);
    }
    const allowed: readonly Role[] | 'public' = roles === undefined ? 'public' : ['admin', ...roles.filter((r) => r !== 'admin')];
    if (allowed !== 'public' && route.schema) {
      // A copy: a schema object may be shared by several routes.
      const { description } = route.schema as { description?: string };
      route.schema = { ...route.schema, description: `${description ? `${description}\n\n` : ''}Roles: ${allowed.join(', ')}.` };
    }
    for (const method of methods) table.push({ method, url: route.url, allowed, reads, ...(route.schema ? { schema: route.schema } : {}) });
  });
}

/** What the auth hook does with requests that carry no valid key, and how it counts refusals. */
export interface AuthGuard {
  /**
   * Called for every request without a valid key — on public routes (but probes) and before a 401 —
   * so such requests can be limited per client address; throws to refuse (429).
   */
  unauthenticated?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  refused?: (reason: 'unauthenticated' | 'forbidden') => void;
}

/** The key in an Authorization header; the scheme is case-insensitive (RFC 9110 §11.1, RFC 6750 §2.1). */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header)?.[1];
}

export function registerAuth(app: FastifyInstance, repos: Repositories, now: () => number, guard: AuthGuard = {}): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const roles = request.routeOptions.config?.roles;
    if (roles === undefined) {
      if (request.routeOptions.config?.probe !== true) await guard.unauthenticated?.(request, reply);
      return;
    }
    const secret = bearerToken(request.headers.authorization);
    const key = secret ? repos.journal.apiKeyByHash(hashSecret(secret)) : undefined;
    if (!key || key.revokedAt !== null) {
      await guard.unauthenticated?.(request, reply);
      guard.refused?.('unauthenticated');
      if (!secret) throw new AppError('UNAUTHENTICATED', 'missing API key: send "Authorization: Bearer <key>"');
      throw new AppError('UNAUTHENTICATED', 'unknown or revoked API key');
    }
    const principal: Principal = { keyId: key.id, name: key.name, role: key.role as Role };
    request.principal = principal;
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      guard.refused?.('forbidden');
      throw new AppError('FORBIDDEN', `role ${principal.role} may not call ${request.method} ${request.routeOptions.url}`);
    }
  });
  // Every write by a key — done, refused or failed — lands in the audit trail with the key's identity.
  app.addHook('onResponse', async (request, reply) => {
    if (!request.principal || READ_METHODS.has(request.method) || request.routeOptions.config?.query === true) return;
    // Successful money writes were audited with their ledger entry, in the same commit: a second
    // record here would cost every payment one more fsync. Refusals and failures are audited here.
    if (request.routeOptions.config?.auditedInTransaction === true && reply.statusCode < 300) return;
    try {
      repos.journal.audit(actorOf(request), `http ${request.method} ${request.routeOptions.url ?? request.url}`, targetOf(request), {
        keyId: request.principal.keyId, role: request.principal.role, status: reply.statusCode, params: request.params, ip: request.ip,
      }, now());
    } catch (err) {
      request.log.error({ err }, 'audit write failed');
    }
  });
}

function targetOf(request: FastifyRequest): string {
  const params = request.params as Record<string, string> | undefined;
  return params?.id ?? params?.accountId ?? request.url.split('?')[0]!;
}

/** The identity written to the ledger and the audit trail for a request. */
export function actorOf(request: FastifyRequest): string {
  return request.principal ? `key:${request.principal.name}` : 'anonymous';
}
