// Where webhooks may go: loopback, private, link-local and other non-public addresses (in every
// spelling, IPv4-mapped IPv6 included) are refused unless webhooks.allowedNetworks names them, and
// the daemon's own listeners always — at creation (400, counted) and again at delivery, after the
// host name is resolved, so a URL that was acceptable once and leads inside now is not posted to.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { WebhookTargets } from '../../src/notify/targets.js';
import { ConfigError } from '../../src/config/load.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';

describe('which addresses may be targeted', () => {
  const targets = new WebhookTargets([]);

  it.each([
    ['169.254.169.254', 'a link-local address'],
    ['127.0.0.1', 'a loopback address'],
    ['127.255.0.9', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['10.0.0.1', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['172.31.255.254', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['fc00::1', 'a private (unique local) address'],
    ['fd12:3456::1', 'a private (unique local) address'],
    ['fe80::1', 'a link-local address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:a9fe:a9fe', 'a link-local address'],
    ['::ffff:10.1.2.3', 'a private address'],
    ['0.0.0.0', 'an unspecified address'],
    ['::', 'an unspecified address'],
    ['100.64.0.1', 'a shared (carrier-grade NAT) address'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'a broadcast address'],
  ])('refuses %s (%s)', (address, what) => {
    expect(targets.refusal(address, 80)).toBe(what);
  });

  it.each(['8.8.8.8', '172.32.0.1', '192.169.0.1', '2001:4860:4860::8888', '::ffff:8.8.4.4'])('allows the public address %s', (address) => {
    expect(targets.refusal(address, 443)).toBeNull();
  });

  it('refuses every address of the private and special IPv4 blocks, written plain or IPv4-mapped', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const inside = fc.oneof(
      fc.tuple(fc.constant(10), octet, octet, octet),
      fc.tuple(fc.constant(127), octet, octet, octet),
      fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), octet, octet),
      fc.tuple(fc.constant(192), fc.constant(168), octet, octet),
      fc.tuple(fc.constant(169), fc.constant(254), octet, octet),
    );
    fc.assert(fc.property(inside, fc.boolean(), (parts, mapped) => {
      const v4 = parts.join('.');
      expect(targets.refusal(mapped ? `::ffff:${v4}` : v4, 80)).not.toBeNull();
    }));
  });

  it('allows what webhooks.allowedNetworks names, and nothing next to it', () => {
    const allowing = new WebhookTargets(['10.20.0.0/16', '::1', '192.168.7.9']);
    expect(allowing.refusal('10.20.3.4', 80)).toBeNull();
    expect(allowing.refusal('::ffff:10.20.3.4', 80)).toBeNull();
    expect(allowing.refusal('10.21.0.1', 80)).toBe('a private address');
    expect(allowing.refusal('::1', 80)).toBeNull();
    expect(allowing.refusal('127.0.0.1', 80)).toBe('a loopback address');
    expect(allowing.refusal('192.168.7.9', 80)).toBeNull();
    expect(allowing.refusal('192.168.7.10', 80)).toBe('a private address');
    expect(() => new WebhookTargets(['10.0.0.0/8', 'intranet'])).toThrow(ConfigError);
    expect(() => new WebhookTargets(['10.0.0.0/8', 'intranet'])).toThrow(/webhooks\.allowedNetworks\.1/);
  });

  it("never allows the daemon's own listener, even on an allowed network", () => {
    const own = new WebhookTargets(['127.0.0.0/8'], () => [{ address: '127.0.0.1', port: 8080 }]);
    expect(own.refusal('127.0.0.1', 8080)).toBe("this daemon's own listener (port 8080)");
    expect(own.refusal('127.0.0.2', 8080)).toBe("this daemon's own listener (port 8080)");
    expect(own.refusal('::ffff:127.0.0.1', 8080)).toBe("this daemon's own listener (port 8080)");
    expect(own.refusal('127.0.0.1', 8081)).toBeNull();
  });
});

describe('webhooks through the API', () => {
  let fk: TestDaemon | null = null;
  let receiver: Server | null = null;
  let dataDir: string | null = null;
  const received: string[] = [];
  afterEach(async () => {
    await fk?.stop();
    fk = null;
    if (receiver) await new Promise((r) => receiver!.close(r));
    receiver = null;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    dataDir = null;
    received.length = 0;
  });
  const startReceiver = async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(req.url ?? '');
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
    return (receiver.address() as AddressInfo).port;
  };
  const refusedCount = async (stage: string) => {
    const text = (await fk!.api('GET', '/metrics', { role: null })).body as string;
    return Number(new RegExp(`^feikong_webhook_targets_refused_total\\{stage="${stage}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  };

  it('refuses internal targets at creation with 400 naming the address, and counts them', async () => {
    fk = await startTestDaemon();
    const cases: Array<[string, RegExp]> = [
      ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local address/],
      ['http://[::1]:9000/hook', /::1 is a loopback address/],
      ['http://10.0.0.8/hook', /10\.0\.0\.8 is a private address/],
      ['https://192.168.1.20/hook', /private address/],
      ['http://[::ffff:127.0.0.1]/hook', /loopback address/],
      ['http://[fe80::1]/hook', /link-local address/],
      ['http://2130706433/hook', /127\.0\.0\.1 is a loopback address/], // 127.0.0.1 as one number
      ['http://localhost:9000/hook', /localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
    ];
    for (const [url, message] of cases) {
      const res = await fk.api('POST', '/v1/webhooks', { body: { url } });
      expect(res.status, url).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION');
      expect(res.body.error.details.field).toBe('url');
      expect(res.body.error.message).toMatch(message);
    }
    expect((await fk.api('GET', '/v1/webhooks')).body.webhooks).toEqual([]);
    expect(await refusedCount('create')).toBe(cases.length);
  });

  it("refuses the daemon's own API even where loopback is allowed, and allows a loopback receiver there", async () => {
    fk = await startTestDaemon({ webhooks: { allowedNetworks: ['127.0.0.0/8', '::1'] } });
    const own = await fk.api('POST', '/v1/webhooks', { body: { url: `${fk.daemon.httpUrl}/v1/payments` } });
    expect(own.status).toBe(400);
    expect(own.body.error.message).toMatch(/this daemon's own listener .*never target the daemon itself/);
    const port = await startReceiver();
    expect((await fk.api('POST', '/v1/webhooks', { body: { url: `http://127.0.0.1:${port}/ok` } })).status).toBe(201);
  });

  it('checks again at delivery: a URL allowed when created is not posted to once it leads inside', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'feikong-webhook-targets-'));
    const port = await startReceiver();
    const webhooks = { pollIntervalMs: 20, backoffBaseMs: 20, backoffMaxMs: 40, maxAttempts: 2 };
    fk = await startTestDaemon({ webhooks: { ...webhooks, allowedNetworks: ['127.0.0.0/8', '::1'] } }, dataDir);
    // One by address, one by a name that resolves to loopback (as a rebound name would).
    const byAddress = await fk.api('POST', '/v1/webhooks', { body: { url: `http://127.0.0.1:${port}/by-address`, eventTypes: ['payment-posted'] } });
    const byName = await fk.api('POST', '/v1/webhooks', { body: { url: `http://localhost:${port}/by-name`, eventTypes: ['payment-posted'] } });
    expect([byAddress.status, byName.status]).toEqual([201, 201]);
    // While allowed, both are delivered (the one by name through the guarded lookup).
    expect((await fk.api('POST', '/v1/accounts', { body: { id: 'acc-t', name: 'Zhao Lei' } })).status).toBe(201);
    const first = await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-t', channel: 'wechat', channelTxnId: 'wx-1', amountFen: 100 } });
    expect(first.status).toBe(201);
    await eventually(() => expect([...received].sort()).toEqual(['/by-address', '/by-name']));
    await fk.stop();

    // The allowance is withdrawn: the stored URLs now lead where webhooks may not go.
    fk = await startTestDaemon({ webhooks }, dataDir);
    const paid = await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-t', channel: 'wechat', channelTxnId: 'wx-2', amountFen: 100 } });
    expect(paid.status).toBe(201);
    for (const id of [byAddress.body.id, byName.body.id]) {
      await eventually(() => expect(fk!.daemon.repos.webhooks.deliveries(id, 0, null, 10)).toEqual([
        expect.objectContaining({ state: 'delivered', attempts: 1 }),
        expect.objectContaining({ state: 'failed', attempts: 2, lastStatus: null, lastError: expect.stringMatching(/^refused: .*a loopback address/) }),
      ]));
    }
    expect(fk.daemon.repos.webhooks.deliveries(byName.body.id, 0, null, 10)[1]!.lastError).toMatch(/localhost resolves to/);
    expect(received).toHaveLength(2); // nothing after the allowance was withdrawn
    expect(await refusedCount('delivery')).toBe(4);
  });
});
