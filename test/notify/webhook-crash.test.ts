// A delivery's attempts are counted across kill -9: the daemon runs as its own process and is
// SIGKILLed while its request hangs at the receiver, twice. The restarted daemon sends attempt 2
// (not attempt 1 again), and with a limit of two attempts the third start gives the delivery up
// without another request, pausing the subscriber.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { dropTestDatabase, testDatabaseConfig } from '../helpers/database.js';
import { createRepositories } from '../../src/db/repo/index.js';
import { validateConfig } from '../../src/config/load.js';
import { createAccount } from '../../src/fleet.js';
import { createApiKey } from '../../src/http/auth.js';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/net.js';
import { kill, startDaemonProcess, type DaemonProcess } from '../helpers/daemon-process.js';
import { Receiver } from './receiver.js';

describe('webhook attempts across a crash', () => {
  const children: DaemonProcess[] = [];
  let receiver: Receiver | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    for (const c of children.splice(0)) await kill(c);
    await receiver?.stop();
    if (dir) {
      dropTestDatabase(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    receiver = dir = undefined;
  });

  it('counts an attempt cut short by SIGKILL, and the limit holds across restarts', async () => {
    receiver = new Receiver();
    await receiver.start();
    receiver.hang = true; // every request stays unanswered: the daemon is killed during it
    dir = mkdtempSync(join(tmpdir(), 'feikong-webhook-crash-'));
    const config = validateConfig({ dataDir: dir, database: testDatabaseConfig(dir) });
    const db = openConfiguredDatabase(config);
    const repos = createRepositories(db);
    createAccount(repos, config, { id: 'acc-1', name: 'Li Lei' }, 'test', Date.now());
    const admin = createApiKey(repos, 'test-admin', 'admin', Date.now()).secret;
    const billing = createApiKey(repos, 'test-billing', 'billing', Date.now()).secret;
    db.close();

    const env = {
      FEIKONG_DATA_DIR: dir, FEIKONG_LOG__LEVEL: 'warn',
      // A hung request is cut off after 3 s; the retry follows 10 ms later.
      FEIKONG_WEBHOOKS__TIMEOUT_MS: '3000', FEIKONG_WEBHOOKS__MAX_ATTEMPTS: '2', FEIKONG_WEBHOOKS__BACKOFF_BASE_MS: '10',
      FEIKONG_WEBHOOKS__BACKOFF_MAX_MS: '10', FEIKONG_WEBHOOKS__POLL_INTERVAL_MS: '20',
      FEIKONG_WEBHOOKS__ALLOWED_NETWORKS: JSON.stringify(['127.0.0.0/8']), // the receiver is on loopback
    };
    const start = async () => {
      const c = await startDaemonProcess({ ...env, FEIKONG_MQTT__EMBEDDED_PORT: String(await freePort()) }, await freePort(), 60_000);
      children.push(c);
      return c;
    };
    const api = (c: DaemonProcess, key: string, method: string, path: string, body?: unknown) => fetch(`${c.url}${path}`, {
      method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    }).then(async (r) => ({ status: r.status, body: await r.json() as any }));

    let daemon = await start();
    const sub = await api(daemon, admin, 'POST', '/v1/webhooks', { url: receiver.url, eventTypes: ['payment-posted'] });
    expect(sub.status).toBe(201);
    expect((await api(daemon, billing, 'POST', '/v1/payments', { accountId: 'acc-1', channel: 'wechat', channelTxnId: 'k-1', amountFen: 100 })).status).toBe(201);
    await eventually(() => expect(receiver!.received).toHaveLength(1));
    expect(receiver.received[0]!.headers['x-feikong-delivery-attempt']).toBe('1');
    await kill(daemon);

    daemon = await start();
    await eventually(() => expect(receiver!.received).toHaveLength(2), 60_000);
    expect(receiver.received[1]!.headers['x-feikong-delivery-attempt']).toBe('2'); // not attempt 1 again
    expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
    await kill(daemon);

    // Both attempts used: the next daemon gives the delivery up without a third request.
    daemon = await start();
    await eventually(async () => {
      const [d] = (await api(daemon, admin, 'GET', `/v1/webhooks/${sub.body.id}/deliveries`)).body.deliveries;
      expect(d).toMatchObject({ state: 'failed', attempts: 2, lastError: expect.stringMatching(/attempts used up/) });
    }, 60_000);
    const [listed] = (await api(daemon, admin, 'GET', '/v1/webhooks')).body.webhooks;
    expect(listed.state).toBe('paused');
    expect(receiver.received).toHaveLength(2);
  }, 240_000); // three daemon starts as processes
});
