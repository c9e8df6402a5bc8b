// API keys and roles. Keys are random secrets shown once; only their SHA-256 is stored. Every
// route declares the roles that may call it; admin may call everything.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Repositories } from '../db/repo/index.js';
import { AppError } from '../errors.js';

export const ROLES = ['admin', 'operator', 'billing', 'read-only'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** roles allowed besides admin; undefined = public route */
    roles?: readonly Role[];
  }
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function createApiKey(repos: Repositories, name: string, role: Role, now: number): { id: string; secret: string } {
  const id = randomUUID();
  const secret = `fk_${randomBytes(24).toString('base64url')}`;
  repos.journal.insertApiKey(id, name, role, hashSecret(secret), now);
  return { id, secret };
}

export function registerAuth(app: FastifyInstance, repos: Repositories): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const roles = request.routeOptions.config?.roles;
    if (roles === undefined) return;
    const header = request.headers.authorization;
    const secret = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!secret) throw new AppError('UNAUTHENTICATED', 'missing API key: send "Authorization: Bearer <key>"');
    const key = repos.journal.apiKeyByHash(hashSecret(secret));
    if (!key || key.revokedAt !== null) throw new AppError('UNAUTHENTICATED', 'unknown or revoked API key');
    const principal: Principal = { keyId: key.id, name: key.name, role: key.role as Role };
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw new AppError('FORBIDDEN', `role ${principal.role} may not call ${request.method} ${request.routeOptions.url}`);
    }
    request.principal = principal;
  });
}

/** The identity written to the ledger and the audit trail for a request. */
export function actorOf(request: FastifyRequest): string {
  return request.principal ? `key:${request.principal.name}` : 'anonymous';
}
