// The rights table (src/mqtt/rights.ts), the password hash in Mosquitto's format, and the
// rate-limited refusal log: pure pieces, tried over many inputs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Topics, CONCENTRATOR_ID } from '../../src/mqtt/topics.js';
import { mayPublish, maySubscribe, type MqttIdentity } from '../../src/mqtt/rights.js';
import { hashMqttPassword, newMqttSecret, verifyMqttPassword } from '../../src/mqtt/password-hash.js';
import { RateLimitedLog } from '../../src/mqtt/refusal-log.js';

const topics = new Topics('feikong/v1');
const concentratorId = fc.stringMatching(CONCENTRATOR_ID);
const level = fc.oneof(concentratorId, fc.constantFrom('readings', 'acks', 'status', 'commands', '+', '#', '', '$SYS', 'concentrators', 'feikong', 'v1'));
const anyTopic = fc.array(level, { minLength: 1, maxLength: 7 }).map((levels) => levels.join('/'));

describe('topic rights', () => {
  it('lets a concentrator publish exactly its own readings, acks and status', () => {
    fc.assert(fc.property(concentratorId, fc.oneof(anyTopic, concentratorId.chain((other) => fc.constantFrom(
      topics.readings(other), topics.acks(other), topics.status(other), topics.commands(other),
    ))), (cid, topic) => {
      const me: MqttIdentity = { kind: 'concentrator', concentratorId: cid, credentialId: 'c' };
      const own = [topics.readings(cid), topics.acks(cid), topics.status(cid)];
      expect(mayPublish(me, topics, topic)).toBe(own.includes(topic));
    }), { numRuns: 2000 });
  });

  it('lets a concentrator subscribe to its own commands topic only, no wildcard', () => {
    fc.assert(fc.property(concentratorId, fc.oneof(anyTopic, concentratorId.map((other) => topics.commands(other))), (cid, filter) => {
      const me: MqttIdentity = { kind: 'concentrator', concentratorId: cid, credentialId: null };
      expect(maySubscribe(me, topics, filter)).toBe(filter === topics.commands(cid));
    }), { numRuns: 2000 });
    const me: MqttIdentity = { kind: 'concentrator', concentratorId: 'dcu-1', credentialId: null };
    for (const f of ['#', 'feikong/v1/concentrators/+/commands', 'feikong/v1/concentrators/dcu-1/#', 'feikong/v1/concentrators/dcu-1/+']) {
      expect(maySubscribe(me, topics, f), f).toBe(false);
    }
  });

  it('gives the daemon (and anonymous clients under the lab setting) every right', () => {
    fc.assert(fc.property(anyTopic, (topic) => {
      for (const kind of ['daemon', 'anonymous'] as const) {
        expect(mayPublish({ kind }, topics, topic)).toBe(true);
        expect(maySubscribe({ kind }, topics, topic)).toBe(true);
      }
    }));
  });
});

describe('MQTT password hash (Mosquitto $7$)', () => {
  it('verifies a hash mosquitto_passwd made, and refuses a wrong password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feikong-passwd-'));
    try {
      const file = join(dir, 'passwd');
      execFileSync('mosquitto_passwd', ['-c', '-b', file, 'dcu-1', 'the password']);
      const hash = readFileSync(file, 'utf8').trim().split(':')[1]!;
      expect(hash).toMatch(/^\$7\$101\$/);
      expect(await verifyMqttPassword('the password', hash)).toBe(true);
      expect(await verifyMqttPassword('the passworD', hash)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hashes with a fresh salt in the format, and verifies only the password hashed', async () => {
    const secret = newMqttSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const [one, two] = [hashMqttPassword(secret, 1000), hashMqttPassword(secret, 1000)];
    expect(one).toMatch(/^\$7\$1000\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(one).not.toBe(two);
    expect(await verifyMqttPassword(secret, one)).toBe(true);
    expect(await verifyMqttPassword(Buffer.from(secret), two)).toBe(true);
    expect(await verifyMqttPassword(`${secret}x`, one)).toBe(false);
    for (const bad of ['', 'plain', '$6$abc$def', one.replace('$7$1000$', '$7$0$'), one.slice(0, -4)]) {
      expect(await verifyMqttPassword(secret, bad), bad).toBe(false);
    }
  });
});

describe('rate-limited refusal log', () => {
  it('logs a key once per interval and reports how many it held back', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _e, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } }));
    let now = 1_000_000;
    const log = new RateLimitedLog(logger, 60_000, () => now);
    expect(log.warn('connect|10.0.0.1', { clientId: 'x' }, 'refused')).toBe(true);
    for (let i = 0; i < 50; i++) expect(log.warn('connect|10.0.0.1', { clientId: `x${i}` }, 'refused')).toBe(false);
    expect(log.warn('connect|10.0.0.2', { clientId: 'y' }, 'refused')).toBe(true);
    now += 60_000;
    expect(log.warn('connect|10.0.0.1', { clientId: 'z' }, 'refused')).toBe(true);
    logger.flush();
    return new Promise<void>((resolve) => setImmediate(() => {
      expect(lines.map((l) => [l.clientId, l.suppressed])).toEqual([['x', undefined], ['y', undefined], ['z', 50]]);
      resolve();
    }));
  });
});
