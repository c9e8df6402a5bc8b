// The webhook contract as a receiver sees it: one hung subscriber does not hold back another;
// events arrive in event-id order per subscriber across a failure and a restart; the documented
// receiver example refuses a replayed delivery and accepts both secrets during a rotation; and the
// event catalogue, the page that documents it and the OpenAPI document agree with each other and
// with what the daemon writes.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { Receiver } from './receiver.js';
import { EVENT_TYPES, type EventTypeSpec } from '../../src/notify/event-types.js';
import { eventTypesSection, BEGIN, END } from '../../src/notify/event-docs.js';
import { CONFIRMED_EVENT } from '../../src/engine/command-targets.js';
// The documented receiver example, exactly as a receiver would copy it.
import { verifyFeikongSignature } from '../../docs/examples/webhook-receiver.mjs';

const root = resolve(import.meta.dirname, '../..');
const SECRET = 'whsec_contract_0123456789abcdef';
const WEBHOOKS = { pollIntervalMs: 20, backoffBaseMs: 40, backoffMaxMs: 160, maxAttempts: 50, timeoutMs: 2000, allowedNetworks: ['127.0.0.0/8'] };

describe('delivery', () => {
  const receivers: Receiver[] = [];
  let fk: TestDaemon | null = null;
  let dataDir = '';
  afterEach(async () => {
    await fk?.stop();
    fk = null;
    for (const r of receivers.splice(0)) await r.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const receiver = async (port = 0) => {
    const r = new Receiver();
    await r.start(port);
    receivers.push(r);
    return r;
  };
  const start = async (webhooks: Record<string, unknown> = WEBHOOKS) => {
    dataDir ||= mkdtempSync(join(tmpdir(), 'feikong-webhook-contract-'));
    fk = await startTestDaemon({ webhooks }, dataDir);
    if (!fk.daemon.repos.accounts.get('acc-1')) expect((await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Li Na' } })).status).toBe(201);
    return fk;
  };
  const subscribe = async (url: string, secret = SECRET) => {
    const res = await fk!.api('POST', '/v1/webhooks', { body: { url, secret, eventTypes: ['payment-posted'] } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const pay = async (txn: string) => {
    const res = await fk!.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-1', channel: 'wechat', channelTxnId: txn, amountFen: 100 } });
    expect(res.status).toBe(201);
  };

  it('a hung subscriber holds back only its own deliveries: another receives all 100 events while the first request still hangs', async () => {
    await start({ ...WEBHOOKS, timeoutMs: 60_000 }); // the hung request stays open for the whole test
    const hung = await receiver();
    hung.hang = true;
    const healthy = await receiver();
    await subscribe(hung.url);
    await subscribe(healthy.url);
    for (let i = 0; i < 100; i++) await pay(`h-${i}`);
    await eventually(() => expect(healthy.received).toHaveLength(100));
    expect(healthy.bodies().map((b) => b.data.channelTxnId)).toEqual(Array.from({ length: 100 }, (_, i) => `h-${i}`));
    // What is written is what the catalogue documents.
    const documented = TypeCompiler.Compile(EVENT_TYPES['payment-posted'].data);
    for (const b of healthy.bodies()) expect([...documented.Errors(b.data)]).toEqual([]);
    // The hung subscriber got its first event and nothing else: its request has not ended.
    expect(hung.received).toHaveLength(1);
    const lags = healthy.received.map((r, i) => r.at - Date.parse(healthy.bodies()[i]!.createdAt));
    process.stdout.write(`healthy subscriber beside a hung one: posting → received, max ${Math.max(...lags)} ms over 100 events\n`);
  });

  it('keeps event order per subscriber across a failure and a restart: a failing delivery holds back the later ones', async () => {
    await start();
    const r = await receiver();
    r.statuses = Array.from({ length: 10_000 }, () => 500); // o-1 keeps failing until the restart
    await subscribe(r.url);
    await pay('o-1');
    await eventually(() => expect(r.received.length).toBeGreaterThanOrEqual(2));
    await pay('o-2');
    await pay('o-3');
    await fk!.stop(); // stopped while o-1 is still failing
    fk = null;
    const before = r.received.length;
    r.statuses = [503]; // one more failure after the restart, then success
    await start();
    await pay('o-4');
    await eventually(() => expect(new Set(r.bodies().map((b) => b.data.channelTxnId))).toEqual(new Set(['o-1', 'o-2', 'o-3', 'o-4'])));
    const txns = r.bodies().map((b) => b.data.channelTxnId);
    const ids = r.bodies().map((b) => b.id);
    // Every request was for an event no older than the one before: never overtaken.
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThanOrEqual(ids[i - 1]!);
    // o-1 alone until it succeeded: its failures before the stop, one after the restart, then the success.
    const firstOther = txns.findIndex((t) => t !== 'o-1');
    expect(firstOther).toBe(before + 2);
    expect(txns.slice(firstOther)).toEqual(['o-2', 'o-3', 'o-4']);
    // Its attempts counted on across the restart.
    expect(r.received.slice(0, firstOther).map((x) => Number(x.headers['x-feikong-delivery-attempt']))).toEqual(Array.from({ length: firstOther }, (_, i) => i + 1));
  });

  it('signs with both secrets during a rotation; the receiver example accepts either, and a replay with an old timestamp is refused', async () => {
    await start();
    const r = await receiver();
    const id = await subscribe(r.url);
    const rotated = await fk!.api('POST', `/v1/webhooks/${id}/secret`, { body: { overlapSeconds: 3600 } });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(rotated.body.previousSecretValidUntil).toEqual(expect.any(String));
    await pay('r-1');
    await eventually(() => expect(r.received).toHaveLength(1));
    const [req] = r.received;
    const header = req!.headers['x-feikong-signature'] as string;
    expect(header.match(/v1=/g)).toHaveLength(2);
    const t = Number(req!.headers['x-feikong-timestamp']);
    expect(verifyFeikongSignature([fresh], req!.body, header, t)).toBeNull();
    expect(verifyFeikongSignature([SECRET], req!.body, header, t)).toBeNull();
    expect(verifyFeikongSignature(['whsec_somebody_else_0000'], req!.body, header, t)).toBe('signature mismatch');
    // Captured and replayed 525 s later: refused for its timestamp; a fresh timestamp breaks the signature.
    expect(verifyFeikongSignature([fresh], req!.body, header, t + 525)).toBe('timestamp outside the tolerance');
    expect(verifyFeikongSignature([fresh], req!.body, header.replace(`t=${t}`, `t=${t + 525}`), t + 525)).toBe('signature mismatch');

    // Without an overlap, the old secret stops at once.
    const again = await fk!.api('POST', `/v1/webhooks/${id}/secret`, { body: { overlapSeconds: 0 } });
    await pay('r-2');
    await eventually(() => expect(r.received).toHaveLength(2));
    const second = r.received[1]!;
    const t2 = Number(second.headers['x-feikong-timestamp']);
    expect((second.headers['x-feikong-signature'] as string).match(/v1=/g)).toHaveLength(1);
    expect(verifyFeikongSignature([again.body.secret], second.body, second.headers['x-feikong-signature'] as string, t2)).toBeNull();
    expect(verifyFeikongSignature([fresh], second.body, second.headers['x-feikong-signature'] as string, t2)).toBe('signature mismatch');
  });
});

describe('the event catalogue', () => {
  const catalogue = EVENT_TYPES as Record<string, EventTypeSpec>;

  /** Every event type literal the daemon's source writes with appendEvent. */
  function writtenTypes(): { literal: Set<string>; dynamic: string[] } {
    const literal = new Set<string>();
    const dynamic: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ts')) {
          const source = readFileSync(path, 'utf8');
          for (const m of source.matchAll(/appendEvent\(\s*([^,]+),/g)) {
            const arg = m[1]!.trim();
            const lit = /^'([a-z0-9-]+)'$/.exec(arg);
            if (lit) literal.add(lit[1]!);
            else if (!arg.startsWith('type: string')) dynamic.push(`${path.slice(root.length + 1)}: ${arg}`);
          }
        }
      }
    };
    walk(join(root, 'src'));
    return { literal, dynamic };
  }

  it('names every type the daemon writes, literal or built', () => {
    const { literal, dynamic } = writtenTypes();
    for (const type of literal) expect(catalogue[type], type).toBeDefined();
    // The types built at run time, and where their parts come from.
    const built = [
      ...[1, 2].map((l) => `alarm-level-${l}`),
      ...['online', 'offline'].map((s) => `concentrator-${s}`),
      ...['failed', 'expired', 'refused', 'unconfirmable'].map((s) => `command-${s}`),
      ...Object.values(CONFIRMED_EVENT),
      'trip-delayed', 'close-permitted',
    ];
    for (const type of built) expect(catalogue[type], type).toBeDefined();
    // If this list changes, the built types above must follow.
    expect(dynamic.map((d) => d.replace(/:\d+/, ''))).toEqual([
      'src/commands/service.ts: outcome',
      'src/commands/service.ts: type',
      'src/ledger/ledger.ts: type',
      'src/mqtt/status.ts: `concentrator-${status}`',
    ]);
  });

  it('each example matches its schema', () => {
    for (const [type, spec] of Object.entries(catalogue)) {
      const check = TypeCompiler.Compile(spec.data);
      expect([...check.Errors(spec.example)].map((e) => `${type} ${e.path}: ${e.message}`)).toEqual([]);
    }
  });

  it('docs/webhooks.md lists every type with its schema and example, as generated (npm run docs:webhooks)', () => {
    const page = readFileSync(join(root, 'docs/webhooks.md'), 'utf8');
    const section = page.slice(page.indexOf(BEGIN), page.indexOf(END) + END.length);
    expect(section).toBe(eventTypesSection());
    for (const type of Object.keys(catalogue)) expect(page).toContain(`### ${type}\n`);
  });

  it('the documented worked example is what the daemon signs', async () => {
    const page = readFileSync(join(root, 'docs/webhooks.md'), 'utf8');
    const body = /\n\n(\{"id":4711,.*\})\n```/.exec(page)![1]!;
    const header = /X-Feikong-Signature: (t=\d+,v1=[0-9a-f]{64})/.exec(page)![1]!;
    const t = Number(/t=(\d+)/.exec(header)![1]);
    expect(verifyFeikongSignature(['whsec_example_0123456789abcdef'], body, header, t)).toBeNull();
    expect(page).toContain(header.split('v1=')[1]!);
  });

  it('the OpenAPI document has a webhook for every type, with its data schema', async () => {
    const fk = await startTestDaemon();
    try {
      const doc = (await (await fetch(`${fk.daemon.httpUrl}/docs/json`)).json()) as { webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } } }> };
      expect(Object.keys(doc.webhooks).sort()).toEqual(Object.keys(catalogue).sort());
      for (const [type, spec] of Object.entries(catalogue)) {
        const schema = doc.webhooks[type]!.post.requestBody.content['application/json']!.schema;
        expect(schema.properties.type).toMatchObject({ const: type });
        expect(Object.keys((schema.properties.data as { properties: object }).properties).sort()).toEqual(Object.keys(spec.data.properties).sort());
      }
    } finally {
      await fk.stop();
    }
  });
});
