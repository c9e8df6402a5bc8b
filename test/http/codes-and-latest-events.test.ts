// What the console builds on: GET /v1/events newest first (the latest events, then the stream
// resumed after the newest, with nothing missed or repeated), and the stable codes of the why view
// (reasonCode, trace[].code) as enums in the OpenAPI document, beside the unchanged English text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { openSse } from './sse-client.js';
import { DECISION_REASONS, TRACE_CHECKS } from '../../src/domain/policy.js';

let fk: TestDaemon;

beforeAll(async () => {
  fk = await startTestDaemon();
  expect((await fk.api('POST', '/v1/accounts', { body: { id: 'n-1', name: 'Sun' } })).status).toBe(201);
  expect((await fk.api('POST', '/v1/accounts', { body: { id: 'n-2', name: 'Zhou' } })).status).toBe(201);
});
afterAll(async () => fk?.stop());

const ns = (page: { events: Array<{ data: { n: number } }> }) => page.events.map((e) => e.data.n);

describe('GET /v1/events?order=desc', () => {
  it('gives the newest events first, paged below the cursor, with the filters', async () => {
    const { journal } = fk.daemon.repos;
    for (let n = 0; n < 5; n++) journal.appendEvent('latest-probe', n % 2 ? 'n-1' : 'n-2', null, { n }, Date.now());
    const first = (await fk.api('GET', '/v1/events?type=latest-probe&order=desc&limit=2', { role: 'read-only' })).body;
    expect(ns(first)).toEqual([4, 3]);
    expect(first.next).toBe(first.events[1].id);
    const rest = (await fk.api('GET', `/v1/events?type=latest-probe&order=desc&after=${first.next}`, { role: 'read-only' })).body;
    expect(ns(rest)).toEqual([2, 1, 0]);
    expect(rest.next).toBeNull();
    expect(ns((await fk.api('GET', '/v1/events?type=latest-probe&order=desc&accountId=n-1', { role: 'operator' })).body)).toEqual([3, 1]);
    expect(ns((await fk.api('GET', '/v1/events?type=latest-probe&order=asc&limit=2', { role: 'operator' })).body)).toEqual([0, 1]);
    expect((await fk.api('GET', '/v1/events?order=sideways', { role: 'operator' })).status).toBe(400);
  });

  it('then the stream resumed after the newest brings the next events, none twice', async () => {
    const { journal } = fk.daemon.repos;
    journal.appendEvent('resume-probe', null, null, { n: 1 }, Date.now());
    const newest = (await fk.api('GET', '/v1/events?order=desc&limit=1', { role: 'operator' })).body.events[0];
    expect(newest.data).toEqual({ n: 1 });
    journal.appendEvent('resume-probe', null, null, { n: 2 }, Date.now());
    const s = await openSse(`${fk.daemon.httpUrl}/v1/events/stream?type=resume-probe`, { authorization: `Bearer ${fk.keys.operator}`, 'last-event-id': String(newest.id) });
    try {
      const n = (m: { data: string | null }) => (m.data === null ? null : (JSON.parse(m.data) as { data: { n: number } }).data.n);
      await s.next((m) => n(m) === 2);
      journal.appendEvent('resume-probe', null, null, { n: 3 }, Date.now());
      await s.next((m) => n(m) === 3);
      expect(s.messages.map(n).filter((x) => x !== null)).toEqual([2, 3]);
    } finally {
      s.close();
    }
  });
});

describe('the why view\'s codes', () => {
  it('are in the answer beside the English text, and enums in the OpenAPI document', async () => {
    expect((await fk.api('POST', '/v1/meters', { body: { id: 'nm-1', accountId: 'n-1', protocol: 'mqtt', concentratorId: 'dcu-n', address: '000000000031' } })).status).toBe(201);
    const why = (await fk.api('GET', '/v1/meters/nm-1/why', { role: 'read-only' })).body;
    expect(why).toMatchObject({ rule: 'relay-unknown', reasonCode: 'relay-unknown', reason: 'relay state not read yet' });
    expect(why.trace.map((c: { code: string }) => c.code)).toEqual([...TRACE_CHECKS]);
    expect(why.trace[0]).toEqual({ code: 'relay-state-known', check: 'relay state known', passed: false, detail: 'relay unknown' });

    const doc = (await fk.api('GET', '/docs/json', { role: null })).body;
    const schema = doc.paths['/v1/meters/{id}/why'].get.responses['200'].content['application/json'].schema;
    expect(schema.properties.reasonCode.enum).toEqual([...DECISION_REASONS]);
    expect(schema.properties.trace.items.properties.code.enum).toEqual([...TRACE_CHECKS]);
    expect(schema.required).toContain('reasonCode');
    const events = doc.paths['/v1/events'].get.parameters.find((p: { name: string }) => p.name === 'order');
    expect(events.schema.anyOf.map((s: { const?: string; enum?: string[] }) => s.const ?? s.enum?.[0])).toEqual(['asc', 'desc']);
  });
});
