// The engine's periodic sweep and the webhook deliveries each run in one daemon at a time on a
// shared database: the holder of their lease. Two daemons in this process on one data directory,
// each with its own node id: only the holder's sweep count grows; after it stops (releasing its
// leases) the other takes the sweep over. Evaluations on events are not gated: every daemon still
// acts on its own payments. Webhooks: every attempt comes from the holder, whichever daemon took
// the payment.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { dropTestDatabase } from '../helpers/database.js';
import { SWEEP_LEASE, WEBHOOK_LEASE } from '../../src/daemon.js';

const sweeps = async (d: TestDaemon): Promise<number> => {
  const text = String((await d.api('GET', '/metrics', { role: null })).body);
  return Number(/^feikong_engine_sweep_seconds_count (\d+)$/m.exec(text)?.[1] ?? 0);
};

const attempts = async (d: TestDaemon): Promise<number> => {
  const text = String((await d.api('GET', '/metrics', { role: null })).body);
  return [...text.matchAll(/^feikong_webhook_deliveries_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
};

describe('the sweep and delivery leases', () => {
  const daemons: TestDaemon[] = [];
  let dir: string | undefined;
  afterEach(async () => {
    for (const d of daemons.splice(0).reverse()) await d.stop();
    if (dir) {
      dropTestDatabase(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    dir = undefined;
  });

  it('sweeps in the holder only, and moves to the other daemon when the holder stops', async () => {
    const overrides = (nodeId: string) => ({ engine: { sweepIntervalMs: 100 }, cluster: { nodeId, leaseMs: 1000 } });
    // The directory is this test's: the first daemon's stop leaves the shared database to the second.
    dir = mkdtempSync(join(tmpdir(), 'feikong-sweep-lease-'));
    const a = await startTestDaemon(overrides('node-a'), dir);
    daemons.push(a);
    const b = await startTestDaemon(overrides('node-b'), dir);
    daemons.push(b);

    await eventually(async () => expect(await sweeps(a)).toBeGreaterThan(3));
    expect(a.daemon.repos.leases.get(SWEEP_LEASE)).toMatchObject({ nodeId: 'node-a' });
    expect(await sweeps(b)).toBe(0);

    await a.stop();
    daemons.shift();
    await eventually(async () => expect(await sweeps(b)).toBeGreaterThan(3), 10_000);
    expect(b.daemon.repos.leases.get(SWEEP_LEASE)).toMatchObject({ nodeId: 'node-b', epoch: 2 });
  });

  it('sends webhooks from the holder of the delivery lease only', async () => {
    const received: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const overrides = (nodeId: string) => ({ webhooks: { pollIntervalMs: 50, allowedNetworks: ['127.0.0.1'] }, cluster: { nodeId, leaseMs: 3000 } });
      dir = mkdtempSync(join(tmpdir(), 'feikong-webhook-lease-'));
      const a = await startTestDaemon(overrides('node-a'), dir);
      daemons.push(a);
      const b = await startTestDaemon(overrides('node-b'), dir);
      daemons.push(b);
      expect(a.daemon.repos.leases.get(WEBHOOK_LEASE)).toMatchObject({ nodeId: 'node-a' });

      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      expect((await b.api('POST', '/v1/webhooks', { body: { url, secret: 'a-secret-of-16+chars', eventTypes: ['payment-posted'] } })).status).toBe(201);
      expect((await b.api('POST', '/v1/accounts', { body: { id: 'acc-w', name: 'Wu Fang' } })).status).toBe(201);
      for (let i = 0; i < 5; i++) {
        const paid = await b.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-w', channel: 'wechat', channelTxnId: `w-${i}`, amountFen: 100 } });
        expect(paid.status).toBe(201);
      }
      await eventually(() => expect(received).toHaveLength(5));
      await new Promise((r) => setTimeout(r, 500)); // a few more polls of both daemons
      expect(received).toHaveLength(5);
      expect(await attempts(a)).toBe(5);
      expect(await attempts(b)).toBe(0);
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });
});
