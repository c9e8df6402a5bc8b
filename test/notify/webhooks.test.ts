// Webhook delivery to a real local HTTP receiver: signed requests with event id and timestamp
// headers, event-type filters, retries with exponential backoff until the attempts run out (then
// the subscriber is paused), delivery state through the API, cancellation, and deliveries that
// survive a daemon restart.
// Target checks are in webhook-targets.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { signatureHeader, signPayload, verifySignature, webhookBody } from '../../src/notify/signature.js';
import { backoffMs } from '../../src/notify/dispatcher.js';
import { wants } from '../../src/notify/subscriptions.js';

const SECRET = 'whsec_test_0123456789abcdef';
// The receivers listen on loopback, which webhooks may target only when allowed explicitly.
const WEBHOOKS = { pollIntervalMs: 20, backoffBaseMs: 40, backoffMaxMs: 160, maxAttempts: 3, timeoutMs: 2000, allowedNetworks: ['127.0.0.0/8'] };

interface Received { headers: IncomingHttpHeaders; body: string }

/** A receiver that answers `statuses` in turn (then 204), recording every request. */
class Receiver {
  readonly received: Received[] = [];
  statuses: number[] = [];
  private server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = this.statuses.shift() ?? 204;
      res.end();
    });
  });
  url = '';
  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/hooks`;
  }
  get port(): number {
    return Number(new URL(this.url).port);
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
  bodies(): Array<{ id: number; type: string; accountId: string | null; data: Record<string, unknown> }> {
    return this.received.map((r) => JSON.parse(r.body));
  }
}

describe('signing and matching', () => {
  it('signs the timestamp and the exact body with HMAC-SHA256, and verifies within the tolerance', () => {
    const body = webhookBody({ id: 7, type: 'payment-posted', accountId: 'a', meterId: null, createdAt: 0, data: '{"amountFen":100}' });
    expect(JSON.parse(body)).toEqual({ id: 7, type: 'payment-posted', accountId: 'a', meterId: null, createdAt: '1970-01-01T00:00:00.000Z', data: { amountFen: 100 } });
    // printf '%s' '1700000000.hello' | openssl dgst -sha256 -hmac key
    expect(signPayload('key', 1_700_000_000, 'hello')).toBe('4d583a269f4f276a3fa80ff31b5a01879a848096983222a17893d198418939aa');
    const t = 1_700_000_000;
    const header = signatureHeader([SECRET], t, body);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature([SECRET], body, header, t)).toEqual({ ok: true });
    expect(verifySignature([SECRET], `${body} `, header, t)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(['another-secret-0123'], body, header, t)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature([SECRET], body, undefined, t)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifySignature([SECRET], body, header, t + 301)).toEqual({ ok: false, reason: 'too-old' });
    expect(verifySignature([SECRET], body, header, t - 301)).toEqual({ ok: false, reason: 'too-new' });
    expect(verifySignature([SECRET], body, header, t + 300)).toEqual({ ok: true });
    // A fresh timestamp on a captured signature does not verify: t is signed.
    expect(verifySignature([SECRET], body, header.replace('t=1700000000', 't=1700000525'), t + 525)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('backs off exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, { backoffBaseMs: 1000, backoffMaxMs: 5000 }))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('matches all, exact types and prefixes', () => {
    expect(wants(['*'], 'anything')).toBe(true);
    expect(wants(['alarm-*'], 'alarm-level-2')).toBe(true);
    expect(wants(['alarm-*', 'payment-posted'], 'payment-reversed')).toBe(false);
  });
});

describe('delivery', () => {
  let receiver: Receiver;
  let fk: TestDaemon | null;
  let dataDir: string;
  beforeEach(async () => {
    receiver = new Receiver();
    await receiver.start();
    dataDir = mkdtempSync(join(tmpdir(), 'feikong-webhooks-'));
    fk = await startTestDaemon({ webhooks: WEBHOOKS }, dataDir);
    expect((await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Li Na' } })).status).toBe(201);
  });
  afterEach(async () => {
    await fk?.stop();
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const subscribe = async (eventTypes?: string[]) => {
    const res = await fk!.api('POST', '/v1/webhooks', { body: { url: receiver.url, secret: SECRET, ...(eventTypes ? { eventTypes } : {}) } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const pay = (txn: string, amountFen = 100) => fk!.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-1', channel: 'wechat', channelTxnId: txn, amountFen } });

  it('delivers a signed event with its id and timestamp, and shows it delivered', async () => {
    const id = await subscribe(['payment-*']);
    await pay('wx-1', 2500);
    await eventually(() => expect(receiver.received).toHaveLength(1));
    const [req] = receiver.received;
    const t = Number(req!.headers['x-feikong-timestamp']);
    expect(req!.headers['x-feikong-signature']).toMatch(new RegExp(`^t=${t},v1=[0-9a-f]{64}$`));
    expect(verifySignature([SECRET], req!.body, req!.headers['x-feikong-signature'] as string, t)).toEqual({ ok: true });
    const event = JSON.parse(req!.body);
    expect(event).toMatchObject({ type: 'payment-posted', accountId: 'acc-1', data: { amountFen: 2500, channel: 'wechat', channelTxnId: 'wx-1' } });
    expect(req!.headers).toMatchObject({ 'x-feikong-event-id': String(event.id), 'x-feikong-event-type': 'payment-posted', 'x-feikong-delivery-attempt': '1' });
    expect(Math.abs(Number(req!.headers['x-feikong-timestamp']) - Date.now() / 1000)).toBeLessThan(600);
    await eventually(async () => {
      const res = await fk!.api('GET', `/v1/webhooks/${id}/deliveries`);
      expect(res.body.deliveries).toEqual([expect.objectContaining({ eventId: event.id, eventType: 'payment-posted', state: 'delivered', attempts: 1, lastStatus: 204 })]);
    });
  });

  it('sends only the types asked for, and only events after the subscription', async () => {
    await pay('before');
    await subscribe(['payment-reversed']);
    const posted = await pay('wx-2', 300);
    await fk!.api('POST', `/v1/payments/${posted.body.payment.id}/reversal`, { role: 'billing', body: { reason: 'refund to card' } });
    await eventually(() => expect(receiver.bodies().map((b) => b.type)).toEqual(['payment-reversed']));
    expect(receiver.bodies()[0]!.data).toMatchObject({ paymentId: posted.body.payment.id, reason: 'refund to card' });
  });

  it('retries with exponential backoff and records each attempt', async () => {
    const id = await subscribe(['payment-*']);
    receiver.statuses = [500, 503];
    await pay('wx-3');
    await eventually(() => expect(receiver.received).toHaveLength(3));
    expect(receiver.received.map((r) => r.headers['x-feikong-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1); // the same bytes every time
    await eventually(() => expect(fk!.daemon.repos.webhooks.deliveries(id, 0, null, 10)).toEqual([
      expect.objectContaining({ state: 'delivered', attempts: 3, lastStatus: 204, lastError: null }),
    ]));
  });

  it('gives up after the last attempt, keeping the last error, and pauses the subscriber until it is resumed', async () => {
    const id = await subscribe(['payment-*']);
    receiver.statuses = [500, 500, 500, 500];
    await pay('wx-4');
    await eventually(() => expect(fk!.daemon.repos.webhooks.deliveries(id, 0, null, 10)).toEqual([
      expect.objectContaining({ state: 'failed', attempts: 3, lastStatus: 500, lastError: 'HTTP 500' }),
    ]));
    const failed = await fk!.api('GET', `/v1/webhooks/${id}/deliveries?state=failed`);
    expect(failed.body.deliveries).toHaveLength(1);
    expect(receiver.received).toHaveLength(3);
    const [listed] = (await fk!.api('GET', '/v1/webhooks')).body.webhooks;
    expect(listed).toMatchObject({ id, state: 'paused', pauseReason: expect.stringMatching(/failed after 3 attempt\(s\): HTTP 500/), pausedUntil: expect.any(String) });
    const paused = (await fk!.api('GET', '/v1/events?type=webhook-paused')).body.events;
    expect(paused).toEqual([expect.objectContaining({ type: 'webhook-paused', data: expect.objectContaining({ webhookId: id, attempts: 3, lastError: 'HTTP 500' }) })]);

    // Paused: later events wait, in order, and nothing is sent.
    receiver.statuses = [];
    await pay('wx-4b');
    await pay('wx-4c');
    await eventually(() => expect(fk!.daemon.repos.webhooks.deliveries(id, 0, 'pending', 10)).toHaveLength(2));
    expect(receiver.received).toHaveLength(3);
    expect(await fk!.daemon.metrics.registry.getSingleMetricAsString('feikong_webhook_delivery_lag_seconds')).toMatch(new RegExp(`webhook="${id}"} [0-9.]+`));

    // Resumed by an operator: the waiting events go out in event order.
    expect((await fk!.api('POST', `/v1/webhooks/${id}/resume`, { role: 'operator' })).status).toBe(403);
    const resumed = await fk!.api('POST', `/v1/webhooks/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ id, state: 'active', pausedUntil: null });
    await eventually(() => expect(receiver.bodies().slice(3).map((b) => b.data.channelTxnId)).toEqual(['wx-4b', 'wx-4c']));
  });

  it('waits base × 2^(n-1) after the n-th failure', async () => {
    const slow = { ...WEBHOOKS, backoffBaseMs: 500, backoffMaxMs: 4000 }; // windows wide enough to look at each wait
    await fk!.stop();
    fk = await startTestDaemon({ webhooks: slow }, dataDir);
    const id = await subscribe(['payment-*']);
    receiver.statuses = [500, 500, 500];
    await pay('wx-5');
    const seen = new Map<number, number>();
    await eventually(() => {
      const d = fk!.daemon.repos.webhooks.deliveries(id, 0, null, 10)[0];
      // (while an attempt is in flight it has no status yet, and its retry time includes the request's bound)
      if (d?.state === 'pending' && d.attempts > 0 && d.lastStatus === 500) seen.set(d.attempts, d.nextAttemptAt - d.updatedAt);
      expect(seen.get(2)).toBeDefined();
    });
    expect(seen.get(2)).toBe(2 * slow.backoffBaseMs);
    if (seen.has(1)) expect(seen.get(1)).toBe(slow.backoffBaseMs);
  });

  it('a deleted subscription gets nothing more and its pending deliveries are cancelled', async () => {
    const id = await subscribe(['payment-*']);
    receiver.statuses = [500, 500];
    await pay('wx-6');
    await eventually(() => expect(receiver.received.length).toBeGreaterThanOrEqual(1));
    expect((await fk!.api('DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
    expect(fk!.daemon.repos.webhooks.deliveries(id, 0, null, 10).map((d) => d.state)).toEqual(['cancelled']);
    await pay('wx-7');
    const seen = receiver.received.length;
    await eventually(() => expect(fk!.daemon.repos.webhooks.cursor('webhooks')).toBe(fk!.daemon.repos.webhooks.latestEventId()));
    expect(receiver.received.length).toBe(seen);
    expect((await fk!.api('GET', '/v1/webhooks')).body.webhooks).toEqual([]);
    expect((await fk!.api('GET', `/v1/webhooks/${id}/deliveries`)).status).toBe(404);
  });

  it('is for admins only', async () => {
    expect((await fk!.api('POST', '/v1/webhooks', { role: 'operator', body: { url: receiver.url } })).status).toBe(403);
    expect((await fk!.api('GET', '/v1/webhooks', { role: 'billing' })).status).toBe(403);
    const created = await fk!.api('POST', '/v1/webhooks', { body: { url: receiver.url } });
    expect(created.body.secret).toMatch(/^whsec_/);
    expect((await fk!.api('GET', '/v1/webhooks')).body.webhooks).toEqual([{
      id: created.body.id, url: receiver.url, eventTypes: ['*'], createdAt: expect.any(String),
      state: 'active', pausedAt: null, pausedUntil: null, pauseReason: null, previousSecretValidUntil: null,
    }]);
  });

  it('deliveries survive a restart: pending ones are sent by the next daemon, delivered ones not again', async () => {
    const patient = { webhooks: { ...WEBHOOKS, maxAttempts: 50, backoffMaxMs: 80 } }; // still pending when the daemon stops
    await fk!.stop();
    fk = await startTestDaemon(patient, dataDir);
    const id = await subscribe(['payment-*']);
    await pay('wx-8');
    await eventually(() => expect(receiver.received).toHaveLength(1));
    const port = receiver.port;
    await receiver.stop(); // the subscriber goes away
    await pay('wx-9');
    await eventually(() => expect(fk!.daemon.repos.webhooks.deliveries(id, 0, 'pending', 10)).toEqual([expect.objectContaining({ lastError: expect.any(String) })]));
    await fk!.stop();
    fk = null;

    receiver = new Receiver();
    await receiver.start(port); // back, at the same address
    fk = await startTestDaemon(patient, dataDir);
    await eventually(() => expect(receiver.bodies().map((b) => b.data.channelTxnId)).toEqual(['wx-9']));
    await eventually(() => expect(fk!.daemon.repos.webhooks.deliveries(id, 0, null, 10).map((d) => d.state)).toEqual(['delivered', 'delivered']));
  });
});
