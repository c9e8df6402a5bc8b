// Every way a request can fail answers {"error":{code,message,details}}: Fastify's own paths (a bad
// URL, an over-long path parameter, no route, bad or empty JSON, a wrong or missing content type,
// a body too large) and a request Node's HTTP parser cannot read, sent as raw bytes.
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let fk: TestDaemon;
let host: string;
let port: number;
const BODY_LIMIT = 4096;

beforeAll(async () => {
  fk = await startTestDaemon({ http: { bodyLimitBytes: BODY_LIMIT } });
  const url = new URL(fk.daemon.httpUrl);
  host = url.hostname;
  port = Number(url.port);
});
afterAll(async () => fk?.stop());

/** One request exactly as given (fetch would normalise the URL). */
function send(method: string, path: string, headers: Record<string, string>, payload?: string): Promise<{ status: number; type: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Raw bytes on a socket; resolves with everything the server wrote before closing. */
function sendRaw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => socket.write(bytes));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('close', () => resolve(text));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(text) : reject(err)));
  });
}

function expectShape(body: unknown, code: string): { code: string; message: string; details: Record<string, unknown> } {
  expect(Object.keys(body as object)).toEqual(['error']);
  const error = (body as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
  expect(Object.keys(error).sort()).toEqual(['code', 'details', 'message']);
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(10);
  expect(typeof error.details).toBe('object');
  return error;
}

const admin = () => ({ authorization: `Bearer ${fk.keys.admin}` });
const json = () => ({ ...admin(), 'content-type': 'application/json' });

describe('Fastify\'s own errors, in the API\'s shape', () => {
  it('a URL with a bad percent escape: 400 BAD_URL, saying how to write a "%"', async () => {
    for (const path of ['/%', '/v1/accounts/%', '/v1/accounts/a%zz']) {
      const res = await send('GET', path, admin());
      expect(res.status).toBe(400);
      expect(res.type).toContain('application/json');
      const error = expectShape(res.body, 'BAD_URL');
      expect(error.message).toContain('%25');
      expect(error.details).toEqual({ field: 'url' });
    }
  });

  it('a path parameter longer than any id: 414 URL_TOO_LONG', async () => {
    const res = await send('GET', `/v1/accounts/${'a'.repeat(200)}`, admin());
    expect(res.status).toBe(414);
    expectShape(res.body, 'URL_TOO_LONG');
  });

  it('an unknown route: 404 NOT_FOUND naming method and path, with or without a key', async () => {
    for (const [method, path, headers] of [['GET', '/nope', {}], ['GET', '/v1/nope?x=1', admin()], ['PUT', '/v1/accounts', admin()]] as const) {
      const res = await send(method, path, headers);
      expect(res.status).toBe(404);
      const error = expectShape(res.body, 'NOT_FOUND');
      expect(error.message).toContain(`no route ${method} ${path.split('?')[0]}`);
    }
  });

  it('a body that is not JSON, or empty: 400 INVALID_JSON on the body', async () => {
    for (const payload of ['{"id":', 'not json', '']) {
      const res = await send('POST', '/v1/accounts', json(), payload);
      expect(res.status).toBe(400);
      const error = expectShape(res.body, 'INVALID_JSON');
      expect(error.details).toEqual({ field: 'body' });
      expect(error.message).toContain('application/json');
    }
  });

  it('a content type the route does not read: 415, naming what it reads', async () => {
    const xml = await send('POST', '/v1/accounts', { ...admin(), 'content-type': 'application/xml' }, '<account/>');
    expect(xml.status).toBe(415);
    expect(expectShape(xml.body, 'UNSUPPORTED_MEDIA_TYPE').details).toMatchObject({ field: 'headers.content-type', got: 'application/xml', accepted: ['application/json'] });
    const none = await send('POST', '/v1/accounts', admin(), '{"id":"x","name":"y"}');
    expect(none.status).toBe(415);
    expect(expectShape(none.body, 'UNSUPPORTED_MEDIA_TYPE').message).toContain('without a content-type');
    const csvRoute = await send('POST', '/v1/import/accounts', { ...admin(), 'content-type': 'application/xml' }, '<a/>');
    expect(csvRoute.status).toBe(415);
    expect(expectShape(csvRoute.body, 'UNSUPPORTED_MEDIA_TYPE').details.accepted).toEqual(['text/csv']);
  });

  it('a body over the limit: 413 PAYLOAD_TOO_LARGE, with the limit', async () => {
    const res = await send('POST', '/v1/accounts', json(), JSON.stringify({ id: 'big', name: 'x'.repeat(BODY_LIMIT) }));
    expect(res.status).toBe(413);
    const error = expectShape(res.body, 'PAYLOAD_TOO_LARGE');
    expect(error.details).toEqual({ field: 'body', limitBytes: BODY_LIMIT });
    expect(error.message).toContain(String(BODY_LIMIT));
  });

  it('a value the schema refuses: 400 VALIDATION naming the field and what it takes, in words', async () => {
    const limit = await send('GET', '/v1/accounts?limit=many', admin());
    expect(limit.status).toBe(400);
    const error = expectShape(limit.body, 'VALIDATION');
    expect(error.details.field).toBe('querystring.limit');
    expect(error.message).toBe('querystring.limit: expected a whole number from 1 to 500; got "many"');
    const cases: Array<[unknown, string]> = [
      [{ id: 'v-1', name: 'x', creditGrade: 'E' }, 'body.creditGrade: expected one of A, B, C, D; got "E"'],
      [{ id: 'v 1', name: 'x' }, 'body.id: expected 1 to 64 characters: letters, digits and _ . : -; got "v 1"'],
      [{ id: 'v-1' }, 'body.name is required: 1 to 200 characters'],
      [{ id: 'v-1', name: 'x', balanceFen: 1 }, 'body.balanceFen is not a field here (see /docs)'],
    ];
    const at = await send('GET', '/v1/engine/dry-run?at=tomorrow', admin());
    expect(expectShape(at.body, 'VALIDATION').message).toMatch(/^querystring\.at: expected a time in ISO 8601 with an offset or Z, e\.g\. .*; got "tomorrow"$/);
    for (const [payload, message] of cases) {
      const res = await send('POST', '/v1/accounts', json(), JSON.stringify(payload));
      expect(res.status).toBe(400);
      expect(expectShape(res.body, 'VALIDATION').message).toBe(message);
    }
  });
});

describe('requests the HTTP parser cannot read', () => {
  function parse(raw: string): { status: number; body: unknown } {
    const [head, text] = raw.split('\r\n\r\n');
    expect(head).toMatch(/content-type: application\/json/i);
    return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(head!)![1]), body: JSON.parse(text!) };
  }

  it('a malformed header line: 400 BAD_REQUEST', async () => {
    const res = parse(await sendRaw('GET /healthz HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n'));
    expect(res.status).toBe(400);
    expectShape(res.body, 'BAD_REQUEST');
  });

  it('headers over Node\'s limit: 431 HEADERS_TOO_LARGE', async () => {
    const res = parse(await sendRaw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(res.status).toBe(431);
    expectShape(res.body, 'HEADERS_TOO_LARGE');
  });
});
