// Mosquitto with the configuration `feikong mqtt mosquitto` generates from the concentrator
// registry gives the embedded broker's rights: the daemon works through it (readings by a shared
// subscription, commands, acks, status), while an anonymous client can neither publish nor
// subscribe, concentrator A cannot publish B's readings or read B's commands, and no client takes
// the daemon's client id. Tried with mosquitto_pub/mosquitto_sub and mqtt.js.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { createRepositories } from '../../src/db/repo/index.js';
import { createMqttCredential } from '../../src/mqtt/credentials.js';
import { runCli } from '../../src/cli/cli.js';
import { SimConcentrator } from '../../simulators/concentrator/index.js';
import { isoWithOffset } from '../../simulators/concentrator/meters.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { dropTestDatabase, testDatabaseConfig, testDatabaseEnv } from '../helpers/database.js';
import { freePort } from '../helpers/net.js';
import { address, committedCount, fleet, startMosquitto } from './fixtures.js';
import { connectArgs, mosquittoTool, startSubscriber } from './mosquitto-clients.js';

const P = 'feikong/v1/concentrators';
const DAEMON_PASSWORD = 'daemon-password-for-tests';

describe('Mosquitto with the generated configuration', () => {
  const cleanups: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A registry with concentrators dcu-a and dcu-b, Mosquitto configured from it, and a daemon on it. */
  async function setup(mqttOverrides: Record<string, unknown> = {}) {
    const dataDir = mkdtempSync(join(tmpdir(), 'feikong-mosq-auth-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    cleanups.push(() => dropTestDatabase(dataDir));
    const stem = `fk-${process.pid}-${cleanups.length}`;
    const config = validateConfig({ dataDir, database: testDatabaseConfig(dataDir) });
    const creds: Record<string, { username: string; password: string }> = {};
    {
      const db = openConfiguredDatabase(config);
      const repos = createRepositories(db);
      for (const cid of ['dcu-a', 'dcu-b']) {
        fleet(repos, config, cid, 1);
        const c = repos.transaction(() => createMqttCredential(repos, cid, 'test', Date.now()));
        creds[cid] = { username: c.username, password: c.password };
      }
      db.close();
    }
    const out = join(dataDir, 'mosquitto');
    const port = await freePort();
    let err = '';
    const sink = new Writable({ write(chunk, _e, done) { err += String(chunk); done(); } });
    const code = runCli(['mqtt', 'mosquitto', '--out', out, '--port', String(port), '--bind', '127.0.0.1'], {
      out: sink, err: sink,
      env: { FEIKONG_DATA_DIR: dataDir, ...testDatabaseEnv(dataDir), FEIKONG_MQTT__PASSWORD: DAEMON_PASSWORD, FEIKONG_MQTT__CLIENT_ID: stem, FEIKONG_MQTT__INGEST__CONNECTIONS: '2' },
    });
    expect(code, err).toBe(0);
    const broker = await startMosquitto({ dir: out, port });
    cleanups.push(() => broker.stop());
    const td = await startTestDaemon({
      engine: { sweepIntervalMs: 3_600_000, confirmIntervalMs: 50 },
      mqtt: { url: broker.url, clientId: stem, password: DAEMON_PASSWORD, readBackTimeoutMs: 500, ingest: { connections: 2 }, ...mqttOverrides },
    }, dataDir);
    cleanups.push(() => td.stop());
    td.daemon.engine.stop();
    const sim = (cid: string) => {
      const s = new SimConcentrator({ url: broker.url, id: cid, ...creds[cid], protocolVersion: 5, clock: Date.now, meters: [{ address: address(1), energyWh: 1_000_000, loadW: 1000 }] });
      cleanups.push(() => s.stop());
      return s;
    };
    return { td, repos: td.daemon.repos, broker, stem, out, a: creds['dcu-a']!, b: creds['dcu-b']!, sim };
  }

  const reading = (ts: number, kwh: number) => JSON.stringify({ readings: [{ meter: address(1), ts: isoWithOffset(ts), energyKwh: kwh }] });

  it('writes the password file in mosquitto_passwd format, the ACL and the include file', async () => {
    const { out, stem } = await setup();
    const passwd = readFileSync(join(out, 'feikong.passwd'), 'utf8').trim().split('\n');
    expect(passwd.map((l) => l.split(':')[0]).sort()).toEqual([`${stem}-control`, `${stem}-readings-0`, `${stem}-readings-1`, 'dcu-a', 'dcu-b'].sort());
    for (const line of passwd) expect(line).toMatch(/^[^:]+:\$7\$20000\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(statSync(join(out, 'feikong.passwd')).mode & 0o777).toBe(0o640);
    const acl = readFileSync(join(out, 'feikong.acl'), 'utf8');
    expect(acl).toContain(`pattern write ${P}/%u/readings`);
    expect(acl).toContain(`pattern read ${P}/%u/commands`);
    expect(acl).not.toMatch(/topic (read|readwrite) #/);
    expect(readFileSync(join(out, 'feikong.conf'), 'utf8')).toMatch(/allow_anonymous false[\s\S]*listener \d+ 127\.0\.0\.1\n(#.*\n)?use_username_as_clientid true/);
  });

  it('carries the whole contract for the daemon and its concentrators', async () => {
    const { td, repos, sim } = await setup();
    const a = sim('dcu-a');
    await a.start();
    await a.publishRound();
    await eventually(() => expect(committedCount(repos, 'dcu-a-m1')).toBe(1));
    await eventually(() => expect(repos.ingest.concentrator('dcu-a')?.status).toBe('online'));
    const command = td.daemon.commands.request({ meterId: 'dcu-a-m1', action: 'disconnect', origin: 'operator', actor: 'test', reason: 'through Mosquitto' });
    await eventually(() => expect(repos.commands.get(command.id)!.state).toBe('confirmed'));
  });

  it('refuses anonymous clients: they can neither publish nor subscribe', async () => {
    const { broker, repos } = await setup();
    const pub = await mosquittoTool('mosquitto_pub', [...connectArgs(broker.url), '-t', `${P}/dcu-a/readings`, '-q', '1', '-m', reading(Date.now(), 1)]);
    expect(pub.code).not.toBe(0);
    expect(pub.err).toMatch(/not authori[sz]ed/i);
    const sub = await mosquittoTool('mosquitto_sub', [...connectArgs(broker.url), '-t', '#', '-C', '1']);
    expect(sub.code).not.toBe(0);
    expect(sub.err).toMatch(/not authori[sz]ed/i);
    const js = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 }).then((c) => c.endAsync(true).then(() => 'connected'), (e: Error) => e.message);
    expect(js).toMatch(/not authorized/i);
    expect(committedCount(repos, 'dcu-a-m1')).toBe(0);
  });

  it("keeps concentrator A from publishing B's readings and status", async () => {
    // One plain subscription on one connection: the daemon receives what Mosquitto forwards in order.
    const { broker, repos, a } = await setup({ sharedGroup: '', ingest: { connections: 1 } });
    const t = Date.now();
    // Mosquitto 2.0 closes a 3.1.1 connection on a refused QoS 1 publish ([MQTT-3.3.5-2] allows that
    // or a PUBACK without delivery): whichever it does, nothing may reach the daemon.
    await mosquittoTool('mosquitto_pub', [...connectArgs(broker.url, a), '-t', `${P}/dcu-b/readings`, '-q', '1', '-m', reading(t, 9999)]);
    await mosquittoTool('mosquitto_pub', [...connectArgs(broker.url, a), '-t', `${P}/dcu-b/status`, '-q', '1', '-r', '-m', 'offline']);
    const v5 = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0, ...a });
    cleanups.push(() => v5.endAsync(true));
    // MQTT 5: the PUBACK says "not authorized" (reason code 0x87).
    const refused = await v5.publishAsync(`${P}/dcu-b/readings`, reading(t + 1000, 9999), { qos: 1 }).then(() => 'acknowledged', (e: Error & { code?: number }) => e.code ?? e.message);
    expect(refused).toBe(0x87);
    // A's own reading arrives after those: once it is committed, they would have been too.
    const own = await mosquittoTool('mosquitto_pub', [...connectArgs(broker.url, a), '-t', `${P}/dcu-a/readings`, '-q', '1', '-m', reading(t, 1)]);
    expect(own.code).toBe(0);
    await eventually(() => expect(committedCount(repos, 'dcu-a-m1')).toBe(1));
    expect(committedCount(repos, 'dcu-b-m1')).toBe(0);
    expect(repos.ingest.concentrator('dcu-b')?.status).not.toBe('offline');
    expect(repos.meters.get('dcu-b-m1')!.stale).toBe(0);
  });

  it("keeps concentrator A from reading B's commands", async () => {
    const { td, broker, a, sim } = await setup();
    const simB = sim('dcu-b');
    await simB.start();
    const spy = startSubscriber([...connectArgs(broker.url, a), '-q', '1', '-C', '1', '-t', `${P}/dcu-b/commands`, '-t', '#', '-t', `${P}/dcu-a/commands`]);
    cleanups.push(() => spy.stop());
    // Mosquitto 2.0 grants these subscriptions and then delivers only what the ACL lets A read.
    expect(await spy.subscribed).not.toBe('');
    const request = (meterId: string) => td.daemon.commands.request({ meterId, action: 'disconnect', origin: 'operator', actor: 'test', reason: 'rights test' });
    const toB = request('dcu-b-m1');
    await eventually(() => expect(simB.commands.map((c) => c.id)).toContain(toB.id));
    const toA = request('dcu-a-m1');
    const seen = await spy.done;
    const messages = seen.out.split('\n').filter((line) => line.startsWith(`${P}/`));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(toA.id);
    expect(seen.out).not.toContain(toB.id);
  });

  it("never lets a client take the daemon's client id", async () => {
    const { td, broker, stem, a, sim } = await setup();
    const simB = sim('dcu-b');
    await simB.start();
    await eventually(() => expect(td.daemon.repos.ingest.concentrator('dcu-b')?.status).toBe('online'));
    expect(td.daemon.mqtt.controlConnects).toBe(1);
    // A's credentials with the daemon's client id: Mosquitto gives the client its user name as id instead.
    const taken = await mosquittoTool('mosquitto_pub', [...connectArgs(broker.url, a, `${stem}-control`), '-t', `${P}/dcu-a/status`, '-q', '1', '-m', 'online']);
    expect(taken.code).toBe(0);
    const js = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: `${stem}-readings-0`, ...a });
    cleanups.push(() => js.endAsync(true));
    // The daemon's user name without its password is refused.
    const guessed = await mosquittoTool('mosquitto_pub', [...connectArgs(broker.url, { username: `${stem}-control`, password: 'guess' }), '-t', `${P}/dcu-a/status`, '-m', 'online']);
    expect(guessed.code).not.toBe(0);
    // The A status published after those connections reached the daemon on its first connection.
    await js.publishAsync(`${P}/dcu-a/status`, 'offline', { qos: 1, retain: true });
    await eventually(() => expect(td.daemon.repos.ingest.concentrator('dcu-a')?.status).toBe('offline'));
    const command = td.daemon.commands.request({ meterId: 'dcu-b-m1', action: 'disconnect', origin: 'operator', actor: 'test', reason: 'still connected' });
    await eventually(() => expect(simB.commands.map((c) => c.id)).toContain(command.id));
    expect(td.daemon.mqtt.controlConnects).toBe(1);
  });
});
