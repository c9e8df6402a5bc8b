// Strict input on the HTTP side. Money and energy are integers: a property over the body schema of
// EVERY route the app registered (taken from `app.routeAccess`, not listed here) sends strings,
// booleans, one-element arrays, fractions and objects in every money and energy field and expects
// 400 naming that field. Query strings are converted, within bounds: ?limit=1e309 and
// ?limit=Infinity answer 400 on every list route. Bodies are UTF-8 or refused: two payment ids that
// differ only in an invalid byte are both refused, and nothing is credited. A CSV import reads its
// own charsets (UTF-8, GBK, GB18030), as strictly: bytes not of the file's encoding are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { moneyAndEnergyPaths, sample, setAt, type Path, type Schema } from '../helpers/schema-sample.js';
import type { RouteAccess } from '../../src/http/auth.js';

let fk: TestDaemon;
beforeAll(async () => {
  fk = await startTestDaemon({ http: { rateLimit: { max: 0, anonymousMax: 0 } } });
  expect((await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Li Na' } })).status).toBe(201);
});
afterAll(async () => fk?.stop());

const routes = (): RouteAccess[] => fk.daemon.http.routeAccess.filter((r) => r.url.startsWith('/v1'));

/** The route's URL with every path parameter filled by a value its schema accepts. */
function urlOf(route: RouteAccess): string {
  const params = (route.schema?.params ?? { type: 'object', properties: {} }) as Schema;
  return route.url.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(sample(params.properties?.[name] ?? { type: 'string' }))));
}

async function send(method: string, url: string, body: string, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${fk.daemon.httpUrl}${url}`, {
    method, body, headers: { authorization: `Bearer ${fk.keys.admin}`, 'content-type': contentType },
  });
  return { status: res.status, body: await res.json() };
}

const dotted = (path: Path) => path.map((p) => (typeof p === 'number' ? String(p) : p)).join('.');

describe('money and energy fields of every route', () => {
  it('refuse strings, booleans, arrays, fractions and objects with 400 naming the field', async () => {
    const cases: Array<{ route: RouteAccess; path: Path; body: Schema }> = [];
    for (const route of routes()) {
      const body = route.schema?.body as Schema | undefined;
      if (!body) continue;
      for (const path of moneyAndEnergyPaths(body)) cases.push({ route, path, body });
    }
    // The walk found the fields this API is known to carry (and maybe more): it reads the schemas.
    const found = cases.map((c) => `${c.route.method} ${c.route.url} ${dotted(c.path)}`);
    expect(found).toEqual(expect.arrayContaining([
      'POST /v1/payments amountFen',
      'POST /v1/accounts/:id/adjustments amountFen',
      'POST /v1/accounts alarmLevel1Fen',
      'PATCH /v1/accounts/:id restoreLevelFen',
      'POST /v1/accounts levelOverrides.cutoffLevel.fen',
      'POST /v1/bulk-commands filter.balanceBelowFen',
    ]));
    expect(found.filter((f) => f.endsWith('pricePerKwh'))).toEqual([]);

    const integer = fc.integer({ min: 1, max: 1_000_000 });
    const wrong = fc.oneof(
      integer.map(String),
      fc.boolean(),
      integer.map((n) => [n]),
      fc.double({ min: -1e9, max: 1e9, noNaN: true }).filter((x) => !Number.isInteger(x)),
      fc.string(),
      integer.map((n) => ({ value: n })),
    );
    await fc.assert(fc.asyncProperty(fc.constantFrom(...cases), wrong, async ({ route, path, body }, value) => {
      const payload = setAt(sample(body, path), path, value);
      const res = await send(route.method, urlOf(route), JSON.stringify(payload));
      const field = `body.${dotted(path)}`;
      expect(res.status, `${route.method} ${route.url} ${field} = ${JSON.stringify(value)}`).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION');
      expect(res.body.error.details.field).toBe(field);
      expect(res.body.error.message).toContain(field);
    }), { numRuns: Math.max(200, cases.length * 12) });

    // Nothing got through: no payment, no adjustment.
    const ledger = await fk.api('GET', '/v1/accounts/acc-1/ledger');
    expect(ledger.body.entries).toEqual([]);
  });

  it('refuses the same wrong types in the items of a payment batch, one by one', async () => {
    const item = (amountFen: unknown, n: number) => ({ accountId: 'acc-1', channel: 'bank', channelTxnId: `B-${n}`, amountFen });
    const res = await fk.api('POST', '/v1/payments/batch', { role: 'billing', body: { items: ['100', true, [100], 100.5].map(item) } });
    expect(res.status).toBe(200);
    expect(res.body.summary).toEqual({ posted: 0, repeated: 0, refused: 4 });
    for (const [i, r] of (res.body.results as any[]).entries()) expect(r.error.message).toContain(`items[${i}].amountFen`);
  });

  it('refuses a number too large to be finite (1e309 parses to Infinity)', async () => {
    const res = await send('POST', '/v1/payments', '{"accountId":"acc-1","channel":"bank","channelTxnId":"big","amountFen":1e309}');
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION', details: { field: 'body.amountFen' } } } });
  });
});

describe('query strings', () => {
  it('answer 400, not 500, for limit=1e309, Infinity and -Infinity on every list route', async () => {
    const lists = routes().filter((r) => r.method === 'GET' && (r.schema?.querystring as Schema | undefined)?.properties?.limit);
    expect(lists.length).toBeGreaterThanOrEqual(12);
    const failures: string[] = [];
    for (const route of lists) {
      for (const limit of ['1e309', 'Infinity', '-Infinity', '1e400']) {
        const res = await fk.api('GET', `${urlOf(route)}?limit=${limit}`);
        if (res.status !== 400 || res.body.error?.details?.field !== 'querystring.limit') failures.push(`${route.url}?limit=${limit}: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('still converts query text to the types the schema names', async () => {
    const res = await fk.api('GET', '/v1/accounts?limit=1');
    expect(res.status).toBe(200);
    expect(res.body.accounts).toHaveLength(1);
    expect((await fk.api('GET', '/v1/events?after=1e309')).status).toBe(400);
  });
});

describe('text encoding', () => {
  const payment = (txn: Buffer) => Buffer.concat([
    Buffer.from('{"accountId":"acc-1","channel":"wechat","channelTxnId":"'), txn, Buffer.from('","amountFen":100}'),
  ]);
  const post = async (body: Buffer, contentType = 'application/json') => {
    const res = await fetch(`${fk.daemon.httpUrl}/v1/payments`, {
      method: 'POST', body, headers: { authorization: `Bearer ${fk.keys.billing}`, 'content-type': contentType },
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('refuses invalid UTF-8 with 400: T-\\xff and T-\\xfe are not the same payment, and neither is credited', async () => {
    const before = await fk.api('GET', '/v1/accounts/acc-1');
    const first = await post(payment(Buffer.from([0x54, 0x2d, 0xff])));
    const second = await post(payment(Buffer.from([0x54, 0x2d, 0xfe])));
    for (const res of [first, second]) {
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION');
      expect(res.body.error.message).toMatch(/not valid UTF-8 .* at offset 58/);
    }
    const after = await fk.api('GET', '/v1/accounts/acc-1');
    expect(after.body.balanceFen).toBe(before.body.balanceFen);
    expect((await fk.api('GET', '/v1/accounts/acc-1/ledger')).body.entries).toEqual([]);
  });

  it('keeps the same ids written in UTF-8 apart: ÿ and þ are two payments', async () => {
    const a = await post(payment(Buffer.from('U-ÿ', 'utf8')));
    const b = await post(payment(Buffer.from('U-þ', 'utf8')));
    expect([a.status, b.status]).toEqual([201, 201]);
    expect([a.body.payment.channelTxnId, b.body.payment.channelTxnId]).toEqual(['U-ÿ', 'U-þ']);
  });

  it('refuses a truncated sequence, an overlong form and a surrogate, and a charset other than UTF-8', async () => {
    for (const bad of [[0xe4, 0xb8], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      expect((await post(payment(Buffer.from([0x56, 0x2d, ...bad])))).status).toBe(400);
    }
    const latin1 = await post(payment(Buffer.from('W-1')), 'application/json; charset=iso-8859-1');
    expect(latin1).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
    expect((await post(payment(Buffer.from('W-2')), 'application/json; charset=UTF-8')).status).toBe(201);
  });

  it('reads a CSV import in its own encoding: a file saved in GBK stored as written, one sent as UTF-8 that is not refused naming its row, creating nothing', async () => {
    // "张三" in GBK: D5 C5 C8 FD. CSV imports decode their own charsets (UTF-8, GBK, GB18030), strictly.
    const gbkName = Buffer.from([0xd5, 0xc5, 0xc8, 0xfd]);
    const postCsv = async (csv: Buffer, contentType: string) => {
      const res = await fetch(`${fk.daemon.httpUrl}/v1/import/accounts`, {
        method: 'POST', body: csv, headers: { authorization: `Bearer ${fk.keys.admin}`, 'content-type': contentType },
      });
      return { status: res.status, body: await res.json() as any };
    };
    const gbk = await postCsv(Buffer.concat([Buffer.from('id,name\ngbk-1,'), gbkName, Buffer.from('\n')]), 'text/csv; charset=gbk');
    expect(gbk).toMatchObject({ status: 200, body: { created: 1, encoding: 'gbk' } });
    expect((await fk.api('GET', '/v1/accounts/gbk-1')).body.name).toBe('张三');
    const mislabelled = await postCsv(Buffer.concat([Buffer.from('id,name\ngbk-2,'), gbkName, Buffer.from('\n')]), 'text/csv; charset=utf-8');
    expect(mislabelled.status).toBe(400);
    expect(mislabelled.body.error.message).toContain('CSV row 2');
    expect(mislabelled.body.error.message).toContain('not valid utf-8');
    expect((await fk.api('GET', '/v1/accounts/gbk-2')).status).toBe(404);
  });
});
