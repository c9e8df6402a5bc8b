// Walks EVERY route of the OpenAPI document with no key and with every role: 401 without a key,
// 403 for the roles a route does not allow, never 401/403 for the roles it allows. The allowed
// roles come from the table the app collects as routes register (`app.routeAccess`), and the
// table and the document must list the same /v1 routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { ROLES, type Role, type RouteAccess } from '../../src/http/auth.js';

let fk: TestDaemon;
let doc: { paths: Record<string, Record<string, { description?: string; parameters?: Array<{ in: string; name: string; schema?: { format?: string } }> }>> };
let table: RouteAccess[];

beforeAll(async () => {
  fk = await startTestDaemon({ buses: [{ id: 'line-1', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 2400 }], http: { rateLimit: { max: 0 } } });
  doc = (await fk.api('GET', '/docs/json', { role: null })).body;
  table = fk.daemon.http.routeAccess;
});
afterAll(async () => fk?.stop());

const toOpenApi = (url: string) => url.replace(/:(\w+)/g, '{$1}');

function documented(): Array<{ method: string; path: string; params: Array<{ name: string; format?: string }> }> {
  const out = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      out.push({ method: method.toUpperCase(), path, params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => ({ name: p.name, format: p.schema?.format })) });
    }
  }
  return out;
}

async function call(method: string, url: string, role: Role | null): Promise<number> {
  const headers: Record<string, string> = role ? { authorization: `Bearer ${fk.keys[role]}` } : {};
  const controller = new AbortController();
  const res = await fetch(`${fk.daemon.httpUrl}${url}`, { method, headers, signal: controller.signal });
  // Streams (the event stream) stay open: the status is all the test needs.
  controller.abort();
  return res.status;
}

describe('route access table', () => {
  it('lists exactly the documented /v1 routes', () => {
    const fromTable = table.filter((r) => r.url.startsWith('/v1')).map((r) => `${r.method} ${toOpenApi(r.url)}`).sort();
    const fromDoc = documented().filter((r) => r.path.startsWith('/v1')).map((r) => `${r.method} ${r.path}`).sort();
    expect(fromDoc).toEqual(fromTable);
    expect(fromTable.length).toBeGreaterThan(25);
  });

  it('gives every /v1 route declared roles; read-only only ever reads, and never keys', () => {
    for (const r of table.filter((x) => x.url.startsWith('/v1'))) {
      expect(r.allowed, `${r.method} ${r.url}`).not.toBe('public');
      expect(r.allowed).toContain('admin');
      if (r.allowed !== 'public' && r.allowed.includes('read-only')) {
        expect(r.reads, `${r.method} ${r.url}`).toBe(true);
        if (r.method !== 'GET') expect(`${r.method} ${r.url}`).toBe('POST /v1/balances/query');
        expect(r.url.startsWith('/v1/keys')).toBe(false);
      }
    }
    // The OpenAPI document names each route's roles once, as the table has them.
    for (const r of table.filter((x) => x.url.startsWith('/v1') && x.allowed !== 'public')) {
      const description = (doc.paths[toOpenApi(r.url)]![r.method.toLowerCase()] as { description?: string }).description ?? '';
      expect(description.split('Roles:').length, `${r.method} ${r.url}`).toBe(2);
      expect(description.endsWith(`Roles: ${(r.allowed as Role[]).join(', ')}.`), `${r.method} ${r.url}: ${description}`).toBe(true);
    }
    const keys = table.filter((r) => r.url.startsWith('/v1/keys'));
    expect(keys.length).toBe(3);
    for (const k of keys) expect(k.allowed).toEqual(['admin']);
  });
});

describe('every documented route, every role', () => {
  it('answers 401 without a key, 403 to roles not allowed, and neither to roles allowed', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of documented()) {
      const access = table.find((r) => r.method === route.method && toOpenApi(r.url) === route.path);
      if (!access) {
        failures.push(`${route.method} ${route.path}: not in the access table`);
        continue;
      }
      let url = route.path;
      for (const p of route.params) url = url.replace(`{${p.name}}`, p.format === 'uuid' ? '00000000-0000-4000-8000-000000000000' : 'no-such-thing');
      if (access.allowed === 'public') continue;
      const anonymous = await call(route.method, url, null);
      if (anonymous !== 401) failures.push(`${route.method} ${url} without a key: ${anonymous}`);
      for (const role of ROLES) {
        const status = await call(route.method, url, role);
        const allowed = access.allowed.includes(role);
        if (allowed && (status === 401 || status === 403)) failures.push(`${route.method} ${url} as ${role} (allowed): ${status}`);
        if (!allowed && status !== 403) failures.push(`${route.method} ${url} as ${role} (not allowed): ${status}`);
        checked++;
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });
});
