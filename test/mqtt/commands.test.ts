// Relay commands through a simulated concentrator on the embedded broker: published, acked and
// confirmed only by a later reading; refused and unacknowledged commands fail with their reason;
// an offline concentrator (its will) marks its meters stale and holds their commands until it is
// back.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { SimConcentrator, type Misbehaviour } from '../../simulators/concentrator/index.js';
import { address, fleet } from './fixtures.js';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { createRepositories } from '../../src/db/repo/index.js';
import { recordReading } from '../../src/ledger/consumption.js';

describe('relay commands through concentrators (embedded broker)', () => {
  let td: TestDaemon | null = null;
  const sims: SimConcentrator[] = [];
  afterEach(async () => {
    for (const s of sims.splice(0)) await s.stop();
    await td?.stop();
    td = null;
  });

  async function setup(behaviour: Partial<Misbehaviour> = {}) {
    td = await startTestDaemon({ engine: { sweepIntervalMs: 3_600_000, confirmIntervalMs: 50, refusalBackoffMs: 20 }, mqtt: { readBackTimeoutMs: 300 } });
    td.daemon.engine.stop(); // these tests drive commands by hand
    const { repos, config } = td.daemon;
    fleet(repos, config, 'dcu-7', 2);
    const sim = new SimConcentrator({
      url: td.daemon.mqttUrl, id: 'dcu-7', ...td.credentials('dcu-7'), behaviour,
      meters: [{ address: address(1), energyWh: 5000, loadW: 500 }, { address: address(2), energyWh: 7000 }],
    });
    sims.push(sim);
    await sim.start();
    await sim.publishRound(); // relay states known: closed
    await eventually(() => expect(repos.ingest.concentrator('dcu-7')?.status).toBe('online'));
    const request = (action: 'disconnect' | 'reconnect', expiresInMs?: number) => td!.daemon.commands.request({
      meterId: 'dcu-7-m1', action, origin: 'operator', actor: 'test', reason: 'test command',
      ...(expiresInMs ? { expiresAt: Date.now() + expiresInMs } : {}),
    });
    return { td, repos, sim, request };
  }

  it('publishes the command, and confirms it by the ack plus the next reading', async () => {
    const { repos, sim, request } = await setup();
    const command = request('disconnect');
    await eventually(() => expect(repos.commands.get(command.id)!.state).toBe('confirmed'));
    expect(sim.commands).toEqual([{ id: command.id, meter: address(1), action: 'disconnect', outcome: 'executed' }]);
    expect(repos.meters.get('dcu-7-m1')!.relayState).toBe('open');
    expect(repos.commands.get(command.id)!.outcome).toBe('confirmed');

    const back = request('reconnect');
    await eventually(() => expect(repos.commands.get(back.id)!.state).toBe('confirmed'));
    expect(sim.meter(address(1)).relay).toBe('closed');
    expect(repos.meters.get('dcu-7-m1')!.relayState).toBe('closed');
  });

  it('does not confirm on the ack alone: waits for a later reading showing the relay', async () => {
    const { repos, sim, request } = await setup({ noReadingAfterCommand: true });
    const command = request('disconnect');
    await eventually(() => expect(sim.commands).toHaveLength(1));
    // Several read-backs time out: acked, but no reading since.
    await eventually(() => expect(repos.commands.get(command.id)!.lastError).toMatch(/no reading of meter dcu-7-m1/));
    expect(repos.commands.get(command.id)!.state).toBe('sent');
    await sim.publishRound(); // the concentrator's next scheduled reading
    await eventually(() => expect(repos.commands.get(command.id)!.state).toBe('confirmed'));
  });

  it('is confirmed by a reading another daemon committed (readings split by a shared subscription)', async () => {
    const { td: fk, repos, sim, request } = await setup({ noReadingAfterCommand: true });
    const command = request('disconnect');
    await eventually(() => expect(sim.commands).toHaveLength(1));
    await eventually(() => expect(repos.commands.get(command.id)!.lastError).toMatch(/no reading of meter dcu-7-m1/));
    // The concentrator's next reading reaches the other daemon, which stores it in the shared database.
    const other = openConfiguredDatabase(fk.daemon.config);
    try {
      const theirs = createRepositories(other);
      const ts = Date.now();
      theirs.transaction(() => {
        recordReading(theirs, { meterId: 'dcu-7-m1', ts, energyWh: 5100 }, ts);
        expect(theirs.ingest.relayFromReading('dcu-7-m1', 'open', ts)).toBe(true);
      });
    } finally {
      other.close();
    }
    await eventually(() => expect(repos.commands.get(command.id)!.state).toBe('confirmed'));
    expect(sim.commands).toHaveLength(1);
  });

  it('ends a command refused at every attempt as refused, with the concentrator\'s reason', async () => {
    const { repos, sim, request } = await setup({ refuseCommands: 'meter under keep-power' });
    const command = request('disconnect');
    await eventually(() => expect(repos.commands.get(command.id)!.state).toBe('refused'));
    const done = repos.commands.get(command.id)!;
    expect(done.outcome).toBe('refused');
    expect(done.attempts).toBe(3);
    expect(sim.commands).toHaveLength(3);
    expect(done.lastError).toMatch(/refused disconnect of meter 000000000001: meter under keep-power/);
  });

  it('fails a command that gets no ack before it expires, saying so', async () => {
    const { repos, sim, request } = await setup({ silentCommands: true });
    const command = request('disconnect', 1500);
    await eventually(() => expect(repos.commands.get(command.id)!.state).toBe('failed'));
    const done = repos.commands.get(command.id)!;
    expect(done.outcome).toBe('expired');
    expect(done.lastError).toMatch(/no ack from concentrator dcu-7 before the command expired/);
    expect(sim.commands.length).toBeGreaterThanOrEqual(1);
  });

  it('marks meters stale while the concentrator is offline and holds their commands until it returns', async () => {
    const { repos, sim, request } = await setup();
    await sim.goOffline(); // the broker publishes its will: offline
    await eventually(() => expect(repos.ingest.concentrator('dcu-7')?.status).toBe('offline'));
    expect(repos.meters.get('dcu-7-m1')!.stale).toBe(1);
    expect(repos.meters.get('dcu-7-m2')!.stale).toBe(1);

    const command = request('disconnect');
    await eventually(() => expect(repos.commands.get(command.id)!.lastError).toMatch(/held: concentrator dcu-7 is offline/));
    expect(sim.commands).toHaveLength(0);

    await sim.start(); // back: retained "online"
    await eventually(() => expect(repos.commands.get(command.id)!.state).toBe('confirmed'));
    expect(repos.meters.get('dcu-7-m1')!.stale).toBe(0);
    expect(sim.commands.map((c) => c.outcome)).toEqual(['executed']);
    const types = (repos.db.prepare(`SELECT type FROM events WHERE type LIKE 'concentrator-%' ORDER BY id`).all() as Array<{ type: string }>).map((e) => e.type);
    expect(types).toEqual(['concentrator-online', 'concentrator-offline', 'concentrator-online']);
  });
});
