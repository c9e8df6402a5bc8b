// The event outbox over HTTP: paged history with filters, and the live Server-Sent Events stream
// fed from the outbox (so any row written by anyone reaches it), with heartbeats and resumption
// by Last-Event-ID.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { openSse, type SseStream } from './sse-client.js';

let fk: TestDaemon;
const open: SseStream[] = [];

beforeAll(async () => {
  fk = await startTestDaemon({ http: { sseHeartbeatMs: 200 } });
  await fk.api('POST', '/v1/accounts', { body: { id: 'e-1', name: 'Zhao' } });
  await fk.api('POST', '/v1/accounts', { body: { id: 'e-2', name: 'Qian' } });
});
afterAll(async () => {
  for (const s of open) s.close();
  await fk?.stop();
});

async function stream(role: 'operator' | 'billing' | 'read-only' | 'admin', query = '', lastEventId?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${fk.keys[role]}` };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const s = await openSse(`${fk.daemon.httpUrl}/v1/events/stream${query}`, headers);
  open.push(s);
  return s;
}

const data = (m: { data: string | null }) => JSON.parse(m.data ?? 'null');

describe('GET /v1/events', () => {
  it('pages by cursor and filters by type and account', async () => {
    const { journal } = fk.daemon.repos;
    for (let i = 0; i < 5; i++) journal.appendEvent('test-ping', i % 2 ? 'e-1' : 'e-2', null, { i }, Date.now());
    const first = await fk.api('GET', '/v1/events?type=test-ping&limit=2', { role: 'read-only' });
    expect(first.status).toBe(200);
    expect(first.body.events.map((e: { data: { i: number } }) => e.data.i)).toEqual([0, 1]);
    expect(first.body.events[0].createdAt).toMatch(/\+08:00$/);
    const rest = await fk.api('GET', `/v1/events?type=test-ping&after=${first.body.next}`, { role: 'read-only' });
    expect(rest.body.events.map((e: { data: { i: number } }) => e.data.i)).toEqual([2, 3, 4]);
    expect(rest.body.next).toBeNull();
    const ofAccount = await fk.api('GET', '/v1/events?type=test-ping,other&accountId=e-1', { role: 'billing' });
    expect(ofAccount.body.events.map((e: { data: { i: number } }) => e.data.i)).toEqual([1, 3]);
    expect((await fk.api('GET', '/v1/events?limit=5000', { role: 'billing' })).status).toBe(400);
    expect((await fk.api('GET', '/v1/events?type=DROP%20TABLE', { role: 'billing' })).status).toBe(400);
  });
});

describe('GET /v1/events/stream', () => {
  it('streams new outbox rows of any type, from a payment and from a direct write', async () => {
    const s = await stream('read-only');
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toContain('text/event-stream');
    await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'e-1', channel: 'wechat', channelTxnId: 'wx-sse-1', amountFen: 4321 } });
    const posted = await s.next((m) => data(m)?.type === 'payment-posted');
    expect(data(posted)).toMatchObject({ accountId: 'e-1', data: { amountFen: 4321 } });
    expect(Number(posted.id)).toBe(data(posted).id);
    fk.daemon.repos.journal.appendEvent('made-up-type', 'e-2', null, { hello: 'world' }, Date.now());
    const made = await s.next((m) => data(m)?.type === 'made-up-type');
    expect(data(made).data).toEqual({ hello: 'world' });
  });

  it('filters a stream by account and type', async () => {
    const s = await stream('operator', '?accountId=e-2&type=only-this');
    const { journal } = fk.daemon.repos;
    journal.appendEvent('only-this', 'e-1', null, { n: 1 }, Date.now());
    journal.appendEvent('something-else', 'e-2', null, { n: 2 }, Date.now());
    journal.appendEvent('only-this', 'e-2', null, { n: 3 }, Date.now());
    const got = await s.next((m) => m.data !== null);
    expect(data(got).data).toEqual({ n: 3 });
    expect(s.messages.filter((m) => m.data !== null)).toHaveLength(1);
  });

  it('sends heartbeats on an idle stream', async () => {
    const s = await stream('billing', '?type=never-happens');
    const beat = await s.next((m) => m.comment?.startsWith('heartbeat') === true, 5000);
    expect(beat.comment).toMatch(/^heartbeat \d{4}-/);
  });

  it('resumes with Last-Event-ID: first what was missed, then live', async () => {
    const s = await stream('read-only', '?type=resume-test');
    const { journal } = fk.daemon.repos;
    journal.appendEvent('resume-test', null, null, { n: 1 }, Date.now());
    const one = await s.next((m) => data(m)?.data.n === 1);
    s.close();
    journal.appendEvent('resume-test', null, null, { n: 2 }, Date.now());
    journal.appendEvent('resume-test', null, null, { n: 3 }, Date.now());
    const again = await stream('read-only', '?type=resume-test', one.id!);
    await again.next((m) => data(m)?.data.n === 3);
    journal.appendEvent('resume-test', null, null, { n: 4 }, Date.now());
    await again.next((m) => data(m)?.data.n === 4);
    expect(again.messages.filter((m) => m.data !== null).map((m) => data(m).data.n)).toEqual([2, 3, 4]);
  });

  it('needs a key with a reading role, and limits streams per key', async () => {
    const anonymous = await fetch(`${fk.daemon.httpUrl}/v1/events/stream`);
    expect(anonymous.status).toBe(401);
    const streams = [];
    for (let i = 0; i < 10; i++) streams.push(await stream('admin', '?type=x'));
    expect(streams.every((s) => s.status === 200)).toBe(true);
    const eleventh = await stream('admin', '?type=x');
    expect(eleventh.status).toBe(429);
    for (const s of streams) s.close();
  });
});
