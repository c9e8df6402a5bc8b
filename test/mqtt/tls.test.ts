// The embedded broker's mqtts listener, with a CA and certificates made for the test (openssl):
// concentrators connect over TLS with their password, or with a client certificate whose CN is
// their id (and then have exactly that concentrator's rights); an untrusted certificate, a
// certificate naming another concentrator than the user name, and a TLS client without
// credentials are refused; with client certificates required, TLS refuses a client without one.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeTestPki, type TestPki } from '../helpers/certificates.js';
import { dropTestDatabase } from '../helpers/database.js';
import { SimConcentrator } from '../../simulators/concentrator/index.js';
import { isoWithOffset } from '../../simulators/concentrator/meters.js';
import { address, committedCount, fleet } from './fixtures.js';
import { mosquittoTool } from './mosquitto-clients.js';

const P = 'feikong/v1/concentrators';

describe('embedded broker over TLS (mqtts)', () => {
  let pki: TestPki;
  let stranger: TestPki;
  let td: TestDaemon | null = null;
  const cleanups: Array<() => Promise<unknown> | void> = [];
  beforeAll(() => {
    pki = makeTestPki('ca');
    stranger = makeTestPki('untrusted ca');
  });
  afterAll(() => {
    pki?.remove();
    stranger?.remove();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await td?.stop();
    td = null;
  });

  async function setup(clientCertificates: 'optional' | 'required') {
    td = await startTestDaemon({
      engine: { sweepIntervalMs: 3_600_000 },
      mqtt: { tls: { host: '127.0.0.1', port: 0, certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.ca, clientCertificates } },
    });
    const { repos, config } = td.daemon;
    fleet(repos, config, 'dcu-a', 1);
    fleet(repos, config, 'dcu-b', 1);
    expect(td.daemon.mqttTlsUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    return { td, repos, url: td.daemon.mqttTlsUrl! };
  }

  const ca = () => readFileSync(pki.ca);
  const pem = (c: { cert: string; key: string }) => ({ cert: readFileSync(c.cert), key: readFileSync(c.key) });
  const reading = (kwh: number) => JSON.stringify({ readings: [{ meter: address(1), ts: isoWithOffset(Date.now()), energyKwh: kwh }] });

  function attempt(url: string, options: mqtt.IClientOptions): Promise<string> {
    return mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 20_000, ...options })
      .then(async (c) => { await c.endAsync(true); return 'connected'; }, (err: Error) => err.message);
  }

  it('refuses to start with client certificates but no CA, or a certificate file it cannot read, naming the key', async () => {
    const tls = { host: '127.0.0.1', port: 0, certFile: pki.serverCert, keyFile: pki.serverKey };
    const dataDir = mkdtempSync(join(tmpdir(), 'feikong-tls-config-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    cleanups.push(() => dropTestDatabase(dataDir));
    await expect(startTestDaemon({ mqtt: { tls: { ...tls, clientCertificates: 'required' } } }, dataDir)).rejects.toThrow(/mqtt\.tls\.caFile/);
    await expect(startTestDaemon({ mqtt: { tls: { ...tls, keyFile: `${pki.dir}/missing.key` } } }, dataDir)).rejects.toThrow(/mqtt\.tls\.keyFile.*missing\.key/);
    await expect(startTestDaemon({ mqtt: { url: 'mqtts://127.0.0.1:1', caFile: `${pki.dir}/missing.crt` } }, dataDir)).rejects.toThrow(/mqtt\.caFile/);
  });

  it('takes a concentrator with its password over TLS, and one identified by its certificate', async () => {
    const { td, repos, url } = await setup('optional');
    const withPassword = new SimConcentrator({ url, id: 'dcu-a', ...td.credentials('dcu-a'), tls: { ca: ca() }, meters: [{ address: address(1), energyWh: 1_000_000 }] });
    cleanups.push(() => withPassword.stop());
    await withPassword.start();
    await withPassword.publishRound();
    expect(committedCount(repos, 'dcu-a-m1')).toBe(1);

    const byCertificate = new SimConcentrator({ url, id: 'dcu-b', tls: { ca: ca(), ...pem(pki.client('dcu-b')) }, meters: [{ address: address(1), energyWh: 1_000_000 }] });
    cleanups.push(() => byCertificate.stop());
    await byCertificate.start();
    await byCertificate.publishRound();
    expect(committedCount(repos, 'dcu-b-m1')).toBe(1);
    // A certificate gives its concentrator's rights, no more: A's readings close the connection.
    const forger = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, ca: ca(), ...pem(pki.client('dcu-b')) });
    cleanups.push(() => forger.endAsync(true));
    const closed = new Promise<void>((resolve) => forger.once('close', () => resolve()));
    forger.publish(`${P}/dcu-a/readings`, reading(9999), { qos: 1 });
    await closed;
    const metric = await td.daemon.metrics.mqttRefusedTotal.get();
    expect(metric.values.find((v) => v.labels.action === 'publish')?.value).toBe(1);
    expect(committedCount(repos, 'dcu-a-m1')).toBe(1);
  });

  it('refuses untrusted certificates, a certificate for another concentrator, and TLS clients without credentials', async () => {
    const { td, url } = await setup('optional');
    expect(await attempt(url, { ca: ca(), ...pem(stranger.client('dcu-a')) })).toMatch(/not authorized/i);
    expect(await attempt(url, { ca: ca(), ...pem(pki.client('dcu-a')), username: 'dcu-b', password: td.credentials('dcu-b').password })).toMatch(/not authorized/i);
    expect(await attempt(url, { ca: ca() })).toMatch(/not authorized/i);
    const metric = await td.daemon.metrics.mqttRefusedTotal.get();
    const count = (reason: string) => metric.values.find((v) => v.labels.action === 'connect' && v.labels.reason === reason)?.value;
    expect(count('certificate')).toBe(2);
    expect(count('anonymous')).toBe(1);
    // A client that does not trust the broker's CA does not connect at all.
    expect(await attempt(url, { ca: readFileSync(stranger.ca), ...pem(pki.client('dcu-a')) })).toMatch(/certificate/i);
  });

  it('with client certificates required, refuses a TLS client without one; mosquitto_pub with one gets in', async () => {
    const { td, repos, url } = await setup('required');
    expect(await attempt(url, { ca: ca(), ...td.credentials('dcu-a') })).not.toBe('connected');
    const port = new URL(url).port;
    const cert = pki.client('dcu-a');
    const pub = await mosquittoTool('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv311', '--cafile', pki.ca, '--cert', cert.cert, '--key', cert.key,
      '-t', `${P}/dcu-a/readings`, '-q', '1', '-m', reading(1)]);
    expect(pub).toMatchObject({ code: 0 });
    expect(committedCount(repos, 'dcu-a-m1')).toBe(1);
  });
});
