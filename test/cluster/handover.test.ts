// Two daemons in this process on one data directory, each with its own node id, a 15 s bus lease,
// and one DL/T 645 TCP "DTU" simulator. The holder polls; the other keeps the bus suspended and
// answers an on-demand read of it with 503 BUS_CLOSED. When the lease is found taken (written here
// as another daemon would after the holder stalled), the holder stops polling and closes its link
// at its next renewal, and the new holder opens its own and polls. A clean stop releases the
// lease, and the first daemon takes the bus back with the epoch counting every owner. A restore
// created by the daemon without the bus is run by the holder, and its latency counts from the
// payment that made it due, stored with the command.
import { afterEach, describe, expect, it } from 'vitest';
import { startDlt645Bus, type SimBus } from '../../simulators/dlt645/bus.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';

const BUS = 'dtu-1';
const ADDRESS = '000000000801';

/**
 * A daemon on the simulator's bus with a 15 s lease (renewed every 5 s), as `nodeId`. The two
 * daemons share this process's event loop: the holder's lease must outlast the other's start-up,
 * which holds the loop for seconds on a busy machine.
 */
const overrides = (sim: SimBus, nodeId: string) => ({
  buses: [{ id: BUS, kind: 'tcp', host: '127.0.0.1', port: sim.port!, baudRate: 9600 }],
  polling: { intervalMs: 200, responseDelayMaxMs: 250, timeSyncIntervalMs: 0 },
  engine: { sweepIntervalMs: 3_600_000 },
  cluster: { nodeId, leaseMs: 15_000, commandPickupMs: 200 },
});

describe('bus handover between two daemons', () => {
  let sim: SimBus | undefined;
  const daemons: TestDaemon[] = [];
  afterEach(async () => {
    // The second daemon uses the first one's data directory: stopped first.
    for (const d of daemons.splice(0).reverse()) await d.stop();
    await sim?.close();
    sim = undefined;
  });

  it('moves polling to the daemon holding the lease, and back after a clean stop', async () => {
    const heard: Array<{ link: string }> = [];
    sim = await startDlt645Bus({
      transport: { kind: 'tcp', port: 0 }, baudRate: 9600, responseDelayMs: 20, meters: [{ address: ADDRESS, energyWh: 5000 }],
      onEvent: (e) => {
        if (e.kind === 'request') heard.push({ link: e.link });
      },
    });
    const a = await startTestDaemon(overrides(sim, 'node-a'));
    daemons.push(a);
    const created = await a.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Han Meimei' } });
    expect(created.status).toBe(201);
    expect((await a.api('POST', '/v1/meters', { body: { id: 'm-1', accountId: 'acc-1', protocol: 'dlt645', busId: BUS, address: ADDRESS } })).status).toBe(201);
    const b = await startTestDaemon(overrides(sim, 'node-b'), a.dataDir);
    daemons.push(b);

    await eventually(() => expect(heard.length).toBeGreaterThan(0));
    const linkA = heard[0]!.link;
    expect(a.daemon.leases.holds(BUS)).toBe(true);
    expect(b.daemon.leases.holds(BUS)).toBe(false);
    expect(b.daemon.buses.get(BUS)!.isSuspended).toBe(true);
    const refused = await b.api('POST', '/v1/meters/m-1/read', { role: 'operator' });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('BUS_CLOSED');
    expect(new Set(heard.map((h) => h.link))).toEqual(new Set([linkA]));

    // The lease is found taken, as after the holder stalled past its expiry.
    a.daemon.repos.db.prepare(`UPDATE bus_leases SET node_id = 'node-b', epoch = epoch + 1, acquired_at = ?, expires_at = ? WHERE bus_id = ?`)
      .run(Date.now(), Date.now() + 15_000, BUS);
    await eventually(() => expect(a.daemon.buses.get(BUS)!.isSuspended).toBe(true));
    expect(a.daemon.leases.holds(BUS)).toBe(false);
    expect(a.daemon.buses.get(BUS)!.linkIsUp).toBe(false);
    await eventually(() => expect(heard.filter((h) => h.link !== linkA).length).toBeGreaterThan(2));
    const linkB = heard.find((h) => h.link !== linkA)!.link;
    expect(b.daemon.leases.holds(BUS)).toBe(true);
    expect((await b.api('POST', '/v1/meters/m-1/read', { role: 'operator' })).status).toBe(200);
    const metrics = (d: TestDaemon) => d.api('GET', '/metrics', { role: null }).then((r) => String(r.body));
    expect(await metrics(a)).toMatch(new RegExp(`^feikong_bus_lease_held\\{bus="${BUS}"\\} 0$`, 'm'));
    expect(await metrics(b)).toMatch(new RegExp(`^feikong_bus_lease_held\\{bus="${BUS}"\\} 1$`, 'm'));

    // A clean stop releases it; the first daemon takes it back and polls again.
    await b.stop();
    daemons.pop();
    expect(a.daemon.repos.leases.get(BUS)!.expiresAt).toBeLessThanOrEqual(Date.now());
    await eventually(() => expect(a.daemon.leases.holds(BUS)).toBe(true));
    const before = heard.length;
    await eventually(() => expect(heard.slice(before).filter((h) => h.link !== linkB).length).toBeGreaterThan(2));
    expect(a.daemon.buses.get(BUS)!.isSuspended).toBe(false);
    expect(a.daemon.repos.leases.get(BUS)).toMatchObject({ nodeId: 'node-a', epoch: 3 });
  });

  it('runs a restore another daemon created, and measures its latency from the payment stored with it', async () => {
    sim = await startDlt645Bus({ transport: { kind: 'tcp', port: 0 }, baudRate: 9600, responseDelayMs: 20, meters: [{ address: ADDRESS, energyWh: 5000, initiallyOpen: true }] });
    const a = await startTestDaemon(overrides(sim, 'node-a'));
    daemons.push(a);
    expect((await a.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Han Meimei' } })).status).toBe(201);
    expect((await a.api('POST', '/v1/meters', { body: { id: 'm-1', accountId: 'acc-1', protocol: 'dlt645', busId: BUS, address: ADDRESS } })).status).toBe(201);
    await eventually(() => expect(a.daemon.leases.holds(BUS)).toBe(true));
    const b = await startTestDaemon(overrides(sim, 'node-b'), a.dataDir);
    daemons.push(b);
    b.daemon.engine.stop(); // the restore below is requested by hand, as the engine would after a payment

    // The payment that made the restore due was committed a minute before the command: the daemon
    // that took it restarted in between, say.
    const paidAt = Date.now() - 60_000;
    const command = b.daemon.commands.request({ meterId: 'm-1', action: 'reconnect', origin: 'engine', actor: 'engine', reason: 'balance above restore level', triggerAt: paidAt });
    expect(b.daemon.leases.holds(BUS)).toBe(false);
    expect(b.daemon.repos.commands.get(command.id)!.triggerAt).toBe(paidAt);
    await eventually(() => expect(a.daemon.repos.commands.get(command.id)!.state).toBe('confirmed'), 15_000);
    expect(sim.meter(ADDRESS)!.relayStatus().relayOpen).toBe(false);
    const metricsOfA = String((await a.api('GET', '/metrics', { role: null })).body);
    expect(metricsOfA).toMatch(/^feikong_restore_latency_seconds_count 1$/m);
    const sum = Number(/^feikong_restore_latency_seconds_sum (\S+)$/m.exec(metricsOfA)![1]);
    expect(sum).toBeGreaterThanOrEqual(60);
  });
});
