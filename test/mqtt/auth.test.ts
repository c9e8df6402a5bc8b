// Authentication and topic rights of the embedded broker, tried as an attacker would, with
// Mosquitto's own clients (mosquitto_pub, mosquitto_sub) and mqtt.js: an anonymous client can
// neither publish nor subscribe; concentrator A cannot publish B's readings or status, read B's
// commands or subscribe to wildcards; no one takes the daemon's client id or another
// concentrator's; a will on another's topic is refused; a revoked or replaced credential's
// connection is closed and its password refused. Every refusal is counted.
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { SimConcentrator } from '../../simulators/concentrator/index.js';
import { isoWithOffset } from '../../simulators/concentrator/meters.js';
import { clientIdStem } from '../../src/mqtt/service.js';
import { address, committedCount, fleet } from './fixtures.js';
import { connectArgs, mosquittoTool, startSubscriber } from './mosquitto-clients.js';

const P = 'feikong/v1/concentrators';

describe('embedded broker: authentication and topic rights', () => {
  let td: TestDaemon | null = null;
  const cleanups: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await td?.stop();
    td = null;
  });

  async function setup(overrides: Record<string, unknown> = {}) {
    td = await startTestDaemon({ engine: { sweepIntervalMs: 3_600_000 }, mqtt: { auth: { revocationCheckMs: 100 }, ...overrides } });
    td.daemon.engine.stop();
    const { repos, config } = td.daemon;
    fleet(repos, config, 'dcu-a', 1);
    fleet(repos, config, 'dcu-b', 1);
    return { td, repos, a: td.credentials('dcu-a'), b: td.credentials('dcu-b'), url: td.daemon.mqttUrl };
  }

  async function refusals(action: string, reason: string): Promise<number> {
    const metric = await td!.daemon.metrics.mqttRefusedTotal.get();
    return metric.values.find((v) => v.labels.action === action && v.labels.reason === reason)?.value ?? 0;
  }

  function sim(id: string, credentials: { username: string; password: string } | Record<string, never>, extra: Partial<ConstructorParameters<typeof SimConcentrator>[0]> = {}) {
    const s = new SimConcentrator({ url: td!.daemon.mqttUrl, id, ...credentials, meters: [{ address: address(1), energyWh: 1_000_000, loadW: 1000 }], ...extra });
    cleanups.push(() => s.stop());
    return s;
  }

  async function client(options: mqtt.IClientOptions): Promise<MqttClient> {
    const c = await mqtt.connectAsync(td!.daemon.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, ...options });
    cleanups.push(() => c.endAsync(true));
    return c;
  }

  function refusedConnect(options: mqtt.IClientOptions): Promise<string> {
    return mqtt.connectAsync(td!.daemon.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, ...options })
      .then(async (c) => { await c.endAsync(true); return 'connected'; }, (err: Error) => err.message);
  }

  const reading = (ts: number, kwh: number) => JSON.stringify({ readings: [{ meter: address(1), ts: isoWithOffset(ts), energyKwh: kwh }] });

  it('refuses anonymous clients: they can neither publish nor subscribe', async () => {
    const { repos, url } = await setup();
    const pub = await mosquittoTool('mosquitto_pub', [...connectArgs(url), '-t', `${P}/dcu-a/readings`, '-q', '1', '-m', reading(Date.now(), 1)]);
    expect(pub.code).not.toBe(0);
    expect(pub.err).toMatch(/not authori[sz]ed/i);
    const sub = await mosquittoTool('mosquitto_sub', [...connectArgs(url), '-t', '#', '-C', '1']);
    expect(sub.code).not.toBe(0);
    expect(sub.err).toMatch(/not authori[sz]ed/i);
    expect(await refusedConnect({})).toMatch(/not authorized/i);
    expect(await refusals('connect', 'anonymous')).toBe(3);
    expect(committedCount(repos, 'dcu-a-m1')).toBe(0);
  });

  it('refuses a wrong password, an unknown concentrator, and a password without a user name', async () => {
    const { url, a } = await setup();
    const wrong = await mosquittoTool('mosquitto_pub', [...connectArgs(url, { username: 'dcu-a', password: `${a.password}x` }), '-t', `${P}/dcu-a/status`, '-m', 'online']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.err).toMatch(/bad user name or password/i);
    expect(await refusedConnect({ username: 'dcu-z', password: a.password })).toMatch(/bad username or password/i);
    expect(await refusedConnect({ username: 'dcu-b', password: a.password })).toMatch(/bad username or password/i);
    expect(await refusals('connect', 'bad-credentials')).toBe(3);
    // The right password works.
    const right = await mosquittoTool('mosquitto_pub', [...connectArgs(url, a), '-t', `${P}/dcu-a/status`, '-q', '1', '-m', 'online']);
    expect(right).toMatchObject({ code: 0 });
  });

  it("keeps concentrator A from publishing B's readings and status, and takes A's own", async () => {
    const { repos, url, a } = await setup();
    const forged = await mosquittoTool('mosquitto_pub', [...connectArgs(url, a), '-t', `${P}/dcu-b/readings`, '-q', '1', '-m', reading(Date.now(), 9999)]);
    expect(forged.code).not.toBe(0); // the broker closes the connection: MQTT 3.1.1 has no negative PUBACK
    const status = await mosquittoTool('mosquitto_pub', [...connectArgs(url, a), '-t', `${P}/dcu-b/status`, '-q', '1', '-r', '-m', 'offline']);
    expect(status.code).not.toBe(0);
    const commands = await mosquittoTool('mosquitto_pub', [...connectArgs(url, a), '-t', `${P}/dcu-b/commands`, '-q', '1', '-m', '{}']);
    expect(commands.code).not.toBe(0);
    expect(await refusals('publish', 'topic')).toBe(3);
    // A's own reading is acknowledged once committed; B has nothing and is not marked offline.
    const own = await mosquittoTool('mosquitto_pub', [...connectArgs(url, a), '-t', `${P}/dcu-a/readings`, '-q', '1', '-m', reading(Date.now(), 1)]);
    expect(own.code).toBe(0);
    expect(committedCount(repos, 'dcu-a-m1')).toBe(1);
    expect(committedCount(repos, 'dcu-b-m1')).toBe(0);
    expect(repos.ingest.concentrator('dcu-b')?.status).not.toBe('offline');
    expect(repos.meters.get('dcu-b-m1')!.stale).toBe(0);
  });

  it("keeps concentrator A from reading B's commands and from subscribing to wildcards", async () => {
    const { td, url, a, b } = await setup();
    const simB = sim('dcu-b', b);
    await simB.start();
    const spy = startSubscriber([...connectArgs(url, a), '-q', '1', '-C', '1', '-t', `${P}/dcu-b/commands`, '-t', `${P}/+/commands`, '-t', '#', '-t', `${P}/dcu-a/commands`]);
    cleanups.push(() => spy.stop());
    expect(await spy.subscribed).toBe('128, 128, 128, 1'); // only its own commands
    expect(await refusals('subscribe', 'topic')).toBe(3);
    // A command for B reaches B; then one for A reaches the spy. Deliveries keep their order, so
    // had the spy been given B's command it would have come first.
    const request = (meterId: string) => td.daemon.commands.request({ meterId, action: 'disconnect', origin: 'operator', actor: 'test', reason: 'rights test' });
    const toB = request('dcu-b-m1');
    await eventually(() => expect(simB.commands.map((c) => c.id)).toContain(toB.id));
    const toA = request('dcu-a-m1');
    const seen = await spy.done;
    const messages = seen.out.split('\n').filter((line) => line.startsWith(`${P}/`));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`${P}/dcu-a/commands`);
    expect(messages[0]).toContain(toA.id);
    expect(seen.out).not.toContain(toB.id);
  });

  it("never lets anyone take the daemon's client id, or a connected concentrator's", async () => {
    const { td, url, a, b } = await setup();
    const stem = clientIdStem(td.daemon.config.mqtt.clientId);
    expect(td.daemon.mqtt.controlConnects).toBe(1);
    const taken = await mosquittoTool('mosquitto_pub', [...connectArgs(url, a, `${stem}-control`), '-t', `${P}/dcu-a/status`, '-q', '1', '-m', 'online']);
    expect(taken.code).not.toBe(0);
    expect(taken.err).toMatch(/identifier rejected/i);
    expect(await refusedConnect({ clientId: `${stem}-control` })).toMatch(/identifier rejected/i);
    expect(await refusedConnect({ clientId: 'anything', username: `${stem}-control`, password: 'guess' })).toMatch(/identifier rejected/i);
    expect(await refusals('connect', 'reserved-client-id')).toBe(3);

    // B may not take A's session either.
    const simA = sim('dcu-a', a);
    const simB = sim('dcu-b', b);
    await Promise.all([simA.start(), simB.start()]);
    expect(await refusedConnect({ clientId: 'concentrator-dcu-a', username: 'dcu-b', password: b.password })).toMatch(/identifier rejected/i);
    expect(await refusals('connect', 'client-id-in-use')).toBe(1);
    // A's own reconnection takes over its session as before.
    const again = await client({ clientId: 'concentrator-dcu-a', username: 'dcu-a', password: a.password });
    expect(again.connected).toBe(true);

    // The daemon's control connection was never displaced: a command still goes out on it.
    const command = td.daemon.commands.request({ meterId: 'dcu-b-m1', action: 'disconnect', origin: 'operator', actor: 'test', reason: 'still connected' });
    await eventually(() => expect(simB.commands.map((c) => c.id)).toContain(command.id));
    expect(td.daemon.mqtt.controlConnects).toBe(1);
  });

  it("refuses a will on another concentrator's status", async () => {
    const { a } = await setup();
    const will = { topic: `${P}/dcu-b/status`, payload: Buffer.from('offline'), qos: 1 as const, retain: true };
    expect(await refusedConnect({ username: 'dcu-a', password: a.password, will })).toMatch(/not authorized/i);
    expect(await refusals('connect', 'will-topic')).toBe(1);
  });

  it('closes the connections of a credential revoked through the API at once, and refuses it after', async () => {
    const { td, a } = await setup();
    const c = await client({ username: 'dcu-a', password: a.password });
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    const listed = await td.api('GET', '/v1/mqtt-credentials?active=true&concentratorId=dcu-a');
    expect(listed.status).toBe(200);
    expect(listed.body.credentials).toHaveLength(1);
    const revoked = await td.api('DELETE', `/v1/mqtt-credentials/${listed.body.credentials[0].id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    await closed;
    expect(await refusedConnect({ username: 'dcu-a', password: a.password })).toMatch(/bad username or password/i);
  });

  it('closes the connections of a credential revoked by another process within revocationCheckMs', async () => {
    const { td, repos, a } = await setup();
    const c = await client({ username: 'dcu-a', password: a.password });
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    // As the CLI does: straight in the database, no event in this daemon.
    const id = repos.mqttCredentials.activeOf('dcu-a')!.id;
    repos.transaction(() => repos.mqttCredentials.revoke(id, Date.now()));
    await closed;
    expect(td.daemon.repos.mqttCredentials.get(id)!.revokedAt).not.toBeNull();
  });

  it('rotates a password: a new credential replaces the old one, whose connection is closed', async () => {
    const { td, a } = await setup();
    const c = await client({ username: 'dcu-a', password: a.password });
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    const created = await td.api('POST', '/v1/mqtt-credentials', { body: { concentratorId: 'dcu-a' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'dcu-a', credential: { concentratorId: 'dcu-a', revokedAt: null } });
    expect(created.body.replaced).toEqual(expect.any(String));
    expect(created.body.password).not.toBe(a.password);
    await closed;
    expect(await refusedConnect({ username: 'dcu-a', password: a.password })).toMatch(/bad username or password/i);
    expect(await refusedConnect({ username: 'dcu-a', password: created.body.password })).toBe('connected');
  });

  it('lab setting: anonymous clients connect with every right, yet the daemon keeps its client id', async () => {
    const { td, repos, url } = await setup({ auth: { allowAnonymous: true, revocationCheckMs: 100 } });
    const pub = await mosquittoTool('mosquitto_pub', [...connectArgs(url), '-t', `${P}/dcu-b/readings`, '-q', '1', '-m', reading(Date.now(), 1)]);
    expect(pub.code).toBe(0);
    expect(committedCount(repos, 'dcu-b-m1')).toBe(1);
    const stem = clientIdStem(td.daemon.config.mqtt.clientId);
    expect(await refusedConnect({ clientId: `${stem}-control` })).toMatch(/identifier rejected/i);
    expect(td.daemon.mqtt.controlConnects).toBe(1);
  });
});
