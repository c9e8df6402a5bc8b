// Two daemon processes on one data directory (one database) and one DL/T 645 TCP "DTU"
// simulator in this process, each daemon with its own embedded MQTT broker and HTTP port, bus
// leases of 3 s. The first takes the bus and polls it; the second stays off the line. A disconnect
// created through the second is sent by the first (the owner picks it up); the first is SIGKILLed
// as its 0x1C frame reaches the meter (the meter delays the trip, so the command is still 'sent').
// The second takes the bus over once the dead one's lease has expired — not before — polls it,
// and resumes the command by reading it back: the meter gets one control frame, the command ends
// confirmed, and the ledger still holds (every reading charged once).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDlt645Bus, type SimBus } from '../../simulators/dlt645/bus.js';
import { FunctionCode } from '../../protocols/dlt645/index.js';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { dropTestDatabase, testDatabaseConfig } from '../helpers/database.js';
import { createRepositories } from '../../src/db/repo/index.js';
import { validateConfig } from '../../src/config/load.js';
import { createAccount, createMeter } from '../../src/fleet.js';
import { createApiKey } from '../../src/http/auth.js';
import { postPayment } from '../../src/ledger/payments.js';
import { checkLedger } from '../../src/ledger/check.js';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/net.js';
import { kill, startDaemonProcess, type DaemonProcess } from '../helpers/daemon-process.js';

const BUS = 'dtu-1';
const LEASE_MS = 3000;
const CUT = '000000000701';
const OTHER = '000000000702';

type Daemon = DaemonProcess & { name: string };

async function startDaemon(name: string, env: Record<string, string>): Promise<Daemon> {
  const [http, mqtt] = [await freePort(), await freePort()];
  const p = await startDaemonProcess({ ...env, FEIKONG_CLUSTER__NODE_ID: name, FEIKONG_MQTT__EMBEDDED_PORT: String(mqtt) }, http, 30_000);
  return { name, ...p };
}

/** One sample of a metric from the daemon's /metrics, or undefined. */
async function metric(d: Daemon, name: string, labels: string): Promise<number | undefined> {
  const text = await (await fetch(`${d.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((kv) => l.includes(kv)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('bus ownership across two daemon processes', () => {
  const daemons: Daemon[] = [];
  let sim: SimBus | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    for (const d of daemons.splice(0)) await kill(d);
    await sim?.close();
    if (dir) {
      dropTestDatabase(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    sim = dir = undefined;
  });

  it('moves polling and an unfinished relay command to the second daemon after the first is killed', async () => {
    // Requests the meters hear, by connection: each daemon opens its own link to the DTU.
    const heard: Array<{ at: number; link: string; functionCode: number }> = [];
    /** the daemon to kill at the first control frame, once it runs */
    const victim: { daemon?: Daemon } = {};
    let killedAt = 0;
    sim = await startDlt645Bus({
      transport: { kind: 'tcp', port: 0 }, baudRate: 9600, responseDelayMs: 20,
      meters: [{ address: CUT, loadW: 20_000, energyWh: 100_000, tripDelayMs: 3000 }, { address: OTHER, loadW: 20_000, energyWh: 200_000 }],
      onEvent: (e) => {
        if (e.kind !== 'request') return;
        heard.push({ at: Date.now(), link: e.link, functionCode: e.functionCode });
        // The first daemon dies the moment its control frame reaches the meter.
        if (e.functionCode === FunctionCode.Control && victim.daemon && killedAt === 0) {
          killedAt = Date.now();
          victim.daemon.child.kill('SIGKILL');
        }
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'feikong-takeover-'));
    const buses = [{ id: BUS, kind: 'tcp', host: '127.0.0.1', port: sim.port!, baudRate: 9600 }];

    // The fleet and an operator key, written before the daemons start.
    const config = validateConfig({ dataDir: dir, database: testDatabaseConfig(dir), buses });
    const db = openConfiguredDatabase(config);
    const repos = createRepositories(db);
    const now = Date.now();
    for (const [n, address] of [[1, CUT], [2, OTHER]] as const) {
      createAccount(repos, config, { id: `acc-${n}`, name: `Customer ${n}` }, 'test', now);
      createMeter(repos, config, { id: `m-${n}`, accountId: `acc-${n}`, protocol: 'dlt645', busId: BUS, address }, 'test', now);
      postPayment(repos, { accountId: `acc-${n}`, channel: 'counter', channelTxnId: `open-${n}`, amountFen: 500_000, paidAt: now, actor: 'test' }, now);
    }
    const key = createApiKey(repos, 'test-operator', 'operator', now).secret;
    const lease = () => repos.leases.get(BUS);
    const readingsSince = (ts: number) => db.prepare(`SELECT COUNT(*) FROM readings WHERE ts >= ?`).pluck().get(ts) as number;

    const env = {
      FEIKONG_DATA_DIR: dir, FEIKONG_LOG__LEVEL: 'info', FEIKONG_BUSES: JSON.stringify(buses),
      FEIKONG_CLUSTER__LEASE_MS: String(LEASE_MS), FEIKONG_CLUSTER__COMMAND_PICKUP_MS: '500',
      FEIKONG_POLLING__INTERVAL_MS: '500', FEIKONG_POLLING__TIME_SYNC_INTERVAL_MS: '0',
      FEIKONG_ENGINE__CONFIRM_INTERVAL_MS: '200', FEIKONG_ENGINE__SWEEP_INTERVAL_MS: '60000',
    };
    const api = (d: Daemon, method: string, path: string, body?: unknown) => fetch(`${d.url}${path}`, {
      method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    }).then(async (r) => ({ status: r.status, body: await r.json() as any }));

    const first = await startDaemon('node-a', env);
    daemons.push(first);
    victim.daemon = first;
    await eventually(() => expect(readingsSince(now)).toBeGreaterThan(0), 20_000);
    expect(lease()).toMatchObject({ nodeId: 'node-a', epoch: 1 });
    const firstLink = heard[0]!.link;

    const second = await startDaemon('node-b', env);
    daemons.push(second);
    expect(await metric(first, 'feikong_bus_lease_held', `bus="${BUS}"`)).toBe(1);
    expect(await metric(second, 'feikong_bus_lease_held', `bus="${BUS}"`)).toBe(0);
    // Through the second daemon, which does not hold the bus: created queued, sent by the first.
    const created = await api(second, 'POST', '/v1/meters/m-1/commands', { action: 'disconnect', reason: 'meter exchange' });
    expect(created.status).toBe(202);
    expect(created.body.state).toBe('queued');
    const commandId: string = created.body.id;

    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    const deadLease = lease()!;
    expect(deadLease.nodeId).toBe('node-a');
    expect(repos.commands.get(commandId)).toMatchObject({ state: 'sent', attempts: 1 });
    // Until then only the first daemon's connection was heard.
    expect(new Set(heard.filter((h) => h.at <= killedAt).map((h) => h.link))).toEqual(new Set([firstLink]));

    // The second takes the bus over and polls it.
    const fromSecond = () => heard.filter((h) => h.link !== firstLink);
    await eventually(() => expect(fromSecond().length).toBeGreaterThan(0), 30_000, 20);
    const takenAt = fromSecond()[0]!.at;
    expect(takenAt).toBeGreaterThanOrEqual(deadLease.expiresAt);
    await eventually(async () => expect(await metric(second, 'feikong_readings_total', 'source="poll",result="stored"')).toBeGreaterThan(0), 10_000);
    expect(await metric(second, 'feikong_bus_lease_held', `bus="${BUS}"`)).toBe(1);
    expect(lease()).toMatchObject({ nodeId: 'node-b', epoch: 2 });
    expect(readingsSince(takenAt)).toBeGreaterThan(0);

    // The command is read back and confirmed by the second, never sent again.
    await eventually(async () => {
      expect((await api(second, 'GET', `/v1/commands/${commandId}`)).body).toMatchObject({ state: 'confirmed', outcome: 'confirmed', attempts: 1 });
    }, 20_000);
    expect(sim.meter(CUT).controls.map((c) => c.action)).toEqual(['trip']);
    expect(heard.filter((h) => h.functionCode === FunctionCode.Control)).toHaveLength(1);
    expect(sim.meter(CUT).relayStatus().relayOpen).toBe(true);
    expect(await metric(second, 'feikong_commands_total', 'action="disconnect",state="confirmed"')).toBe(1);
    expect((await api(second, 'GET', '/v1/meters/m-1/commands')).body.commands).toHaveLength(1);

    // Every reading charged once: the ledger holds, consumption was charged from both daemons.
    const report = checkLedger(repos, Date.now());
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
    const consumption = db.prepare(`SELECT COUNT(*) FROM ledger_entries WHERE kind = 'consumption'`).pluck().get() as number;
    expect(consumption).toBeGreaterThan(0);

    // A clean stop releases the lease at once.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(lease()!.expiresAt).toBeLessThanOrEqual(Date.now());
    db.close();
    process.stdout.write(`takeover: first daemon killed, second polling after ${takenAt - killedAt} ms (lease ${LEASE_MS} ms, renewed every ${Math.floor(LEASE_MS / 3)} ms)\n`);
  }, 90_000);
});
