// The same contract through a real external broker (Mosquitto, MQTT 5): readings stored and
// charged once whatever the duplication and ordering, commands confirmed by ack plus reading, and
// a shared subscription splitting the readings between two daemons on one database.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { SimConcentrator } from '../../simulators/concentrator/index.js';
import { address, consumptionFen, deadLetterCount, fleet, readingCount, startMosquitto, type Mosquitto } from './fixtures.js';

const T0 = Date.parse('2026-11-22T00:00:00+08:00');
const HOUR = 3_600_000;

describe('concentrators through Mosquitto', () => {
  let broker: Mosquitto;
  const daemons: TestDaemon[] = [];
  const sims: SimConcentrator[] = [];
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker.stop();
  });
  afterEach(async () => {
    for (const s of sims.splice(0)) await s.stop();
    // Last started first: a daemon sharing another's directory stops before the owner removes it.
    for (const d of daemons.splice(0).reverse()) await d.stop();
  });

  let run = 0;
  async function daemon(extra: Record<string, unknown> = {}, dataDir?: string) {
    const td = await startTestDaemon({
      engine: { sweepIntervalMs: 3_600_000, confirmIntervalMs: 50 },
      mqtt: { url: broker.url, clientId: `test-${process.pid}-${++run}`, topicPrefix: `t${run}/v1`, readBackTimeoutMs: 500, ...extra },
    }, dataDir);
    daemons.push(td);
    return td;
  }

  function concentrator(td: TestDaemon, meters: number, options: Partial<ConstructorParameters<typeof SimConcentrator>[0]> = {}) {
    let clock = T0;
    const sim = new SimConcentrator({
      url: broker.url, id: 'dcu-9', prefix: td.daemon.config.mqtt.topicPrefix, protocolVersion: 5, clock: () => clock, seed: 3,
      meters: Array.from({ length: meters }, (_, i) => ({ address: address(i + 1), energyWh: 2_000_000, loadW: 2000 })),
      ...options,
    });
    sims.push(sim);
    return { sim, tick: (ms: number) => (clock += ms) };
  }

  it('stores and charges readings exactly once whatever the duplication and ordering', async () => {
    const td = await daemon();
    const { repos, config } = td.daemon;
    fleet(repos, config, 'dcu-9', 10);
    const { sim, tick } = concentrator(td, 10, { readingsPerMessage: 3, behaviour: { duplicateRate: 0.5, reorder: true, lateBatchEvery: 2, malformedRate: 0.1 } });
    await sim.start();
    for (let r = 0; r < 8; r++) {
      await sim.publishRound();
      tick(HOUR);
    }
    await sim.replayHistory();
    await eventually(() => {
      for (let i = 1; i <= 10; i++) expect(readingCount(repos, `dcu-9-m${i}`)).toBe(8);
    });
    for (let i = 1; i <= 10; i++) expect(consumptionFen(repos, `dcu-9-a${i}`)).toBe(700); // 7 h × 2 kW × 0.5 yuan
    expect(deadLetterCount(repos)).toBeGreaterThan(0);
    expect(repos.ledger.invariantViolations()).toEqual([]);
  });

  it('sends commands, and confirms them by the ack plus the next reading', async () => {
    const td = await daemon();
    td.daemon.engine.stop();
    const { repos, config } = td.daemon;
    fleet(repos, config, 'dcu-9', 1);
    const { sim } = concentrator(td, 1, { clock: Date.now });
    await sim.start();
    await sim.publishRound();
    await eventually(() => expect(repos.meters.get('dcu-9-m1')!.relayState).toBe('closed'));
    await eventually(() => expect(repos.ingest.concentrator('dcu-9')?.status).toBe('online'));
    const command = td.daemon.commands.request({ meterId: 'dcu-9-m1', action: 'disconnect', origin: 'operator', actor: 'test', reason: 'test command' });
    await eventually(() => expect(repos.commands.get(command.id)!.state).toBe('confirmed'));
    expect(sim.commands).toEqual([{ id: command.id, meter: address(1), action: 'disconnect', outcome: 'executed' }]);
    expect(repos.meters.get('dcu-9-m1')!.relayState).toBe('open');

    await sim.goOffline();
    await eventually(() => expect(repos.meters.get('dcu-9-m1')!.stale).toBe(1));
  });

  it('splits readings between daemons sharing a subscription group, each stored once', async () => {
    const first = await daemon({ sharedGroup: 'ingest', ingest: { connections: 2 } });
    const dir = first.dataDir;
    const second = await daemon({ sharedGroup: 'ingest', ingest: { connections: 2 }, topicPrefix: first.daemon.config.mqtt.topicPrefix }, dir);
    fleet(first.daemon.repos, first.daemon.config, 'dcu-9', 40);
    const { sim, tick } = concentrator(first, 40, { readingsPerMessage: 1 });
    await sim.start();
    for (let r = 0; r < 5; r++) {
      await sim.publishRound();
      tick(HOUR);
    }
    await eventually(() => expect(readingCount(first.daemon.repos)).toBe(200));
    const taken = (td: TestDaemon) => td.daemon.metrics.mqttMessagesTotal.get().then((m) => m.values.find((v) => v.labels.kind === 'readings')?.value ?? 0);
    const [a, b] = [await taken(first), await taken(second)];
    expect(a + b).toBe(200); // every message to exactly one daemon
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    for (let i = 1; i <= 40; i++) expect(consumptionFen(first.daemon.repos, `dcu-9-a${i}`)).toBe(400); // 4 h × 2 kW × 0.5 yuan
  });
});
