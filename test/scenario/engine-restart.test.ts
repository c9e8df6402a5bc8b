// A command survives the daemon being killed mid-flight. The daemon runs as its own process
// (node --import tsx src/main.ts, configured by FEIKONG_* variables) against a TCP "DTU" simulator in this
// process; it is SIGKILLed after the 0x1C frame reached the meter (the meter delays the trip, so
// the command is still 'sent'), then started again on the same data directory. On restart the
// command is read back before anything is sent: the meter receives exactly one control frame and
// the command ends confirmed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDlt645Bus, type SimBus } from '../../simulators/dlt645/bus.js';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { dropTestDatabase, testDatabaseConfig } from '../helpers/database.js';
import { createRepositories } from '../../src/db/repo/index.js';
import { validateConfig } from '../../src/config/load.js';
import { createAccount, createMeter } from '../../src/fleet.js';
import { createApiKey } from '../../src/http/auth.js';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/net.js';
import { kill, startDaemonProcess, type DaemonProcess } from '../helpers/daemon-process.js';

const ADDRESS = '000000000601';

async function startChild(env: Record<string, string>): Promise<DaemonProcess> {
  const [http, mqtt] = [await freePort(), await freePort()];
  return startDaemonProcess({ ...env, FEIKONG_MQTT__EMBEDDED_PORT: String(mqtt) }, http, 30_000);
}

describe('command lifecycle across a daemon crash', () => {
  const children: DaemonProcess[] = [];
  let sim: SimBus | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    for (const c of children.splice(0)) await kill(c);
    await sim?.close();
    if (dir) {
      dropTestDatabase(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    sim = dir = undefined;
  });

  it('resumes a sent command after SIGKILL without sending it twice', async () => {
    sim = await startDlt645Bus({ transport: { kind: 'tcp', port: 0 }, baudRate: 9600, responseDelayMs: 20, meters: [{ address: ADDRESS, tripDelayMs: 8000 }] });
    dir = mkdtempSync(join(tmpdir(), 'feikong-restart-'));
    const buses = [{ id: 'dtu-1', kind: 'tcp', host: '127.0.0.1', port: sim.port!, baudRate: 9600 }];

    // The fleet and an operator key, written before the daemon starts.
    const config = validateConfig({ dataDir: dir, database: testDatabaseConfig(dir), buses });
    const db = openConfiguredDatabase(config);
    const repos = createRepositories(db);
    createAccount(repos, config, { id: 'acc-1', name: 'Li Lei' }, 'test', Date.now());
    createMeter(repos, config, { id: 'm-1', accountId: 'acc-1', protocol: 'dlt645', busId: 'dtu-1', address: ADDRESS }, 'test', Date.now());
    const key = createApiKey(repos, 'test-operator', 'operator', Date.now()).secret;
    db.close();

    const env = {
      FEIKONG_DATA_DIR: dir, FEIKONG_LOG__LEVEL: 'warn', FEIKONG_BUSES: JSON.stringify(buses),
      FEIKONG_POLLING__INTERVAL_MS: '500', FEIKONG_ENGINE__CONFIRM_INTERVAL_MS: '100', FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '500',
    };
    const api = (c: DaemonProcess, method: string, path: string, body?: unknown) => fetch(`${c.url}${path}`, {
      method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    }).then(async (r) => ({ status: r.status, body: await r.json() as any }));

    const first = await startChild(env);
    children.push(first);
    const created = await api(first, 'POST', '/v1/meters/m-1/commands', { action: 'disconnect', reason: 'meter exchange' });
    expect(created.status).toBe(202);
    const commandId: string = created.body.id;

    // The frame reached the meter, which accepted it and delays the trip: kill the daemon now.
    await eventually(() => expect(sim!.meter(ADDRESS).controls.map((c) => c.action)).toEqual(['trip']));
    await eventually(async () => expect((await api(first, 'GET', `/v1/commands/${commandId}`)).body.state).toBe('sent'));
    await kill(first);
    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(sim.meter(ADDRESS).relayStatus().relayOpen).toBe(false);

    const second = await startChild(env);
    children.push(second);
    const done = await eventually(async () => {
      const c = (await api(second, 'GET', `/v1/commands/${commandId}`)).body;
      expect(c).toMatchObject({ state: 'confirmed', outcome: 'confirmed', attempts: 1 });
      return c;
    }, 20_000);
    expect(done.id).toBe(commandId);
    expect(sim.meter(ADDRESS).controls.map((c) => c.action)).toEqual(['trip']);
    expect(sim.meter(ADDRESS).relayStatus().relayOpen).toBe(true);
    const commands = (await api(second, 'GET', '/v1/meters/m-1/commands')).body.commands;
    expect(commands).toHaveLength(1);
  });
});
