// Readings from simulated concentrators through the embedded broker: a PUBACK means committed
// (pending its charge), and charging follows; duplicates, reordering and late batches are stored
// and charged once; malformed messages become dead letters (counted, listed by the API) and never
// stop the ingest.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { SimConcentrator } from '../../simulators/concentrator/index.js';
import { address, committedCount, consumptionFen, deadLetterCount, fleet, readingCount } from './fixtures.js';
import type { Repositories } from '../../src/db/repo/index.js';

const T0 = Date.parse('2026-11-22T00:00:00+08:00');
const HOUR = 3_600_000;

describe('concentrator readings through the embedded broker', () => {
  let td: TestDaemon | null = null;
  const sims: SimConcentrator[] = [];
  afterEach(async () => {
    for (const s of sims.splice(0)) await s.stop();
    await td?.stop();
    td = null;
  });

  async function setup(meters: number, behaviour: ConstructorParameters<typeof SimConcentrator>[0]['behaviour'] = {}, readingsPerMessage?: number) {
    td = await startTestDaemon({ engine: { sweepIntervalMs: 3_600_000 } });
    const { repos, config } = td.daemon;
    const ids = fleet(repos, config, 'dcu-1', meters);
    let clock = T0;
    const sim = new SimConcentrator({
      url: td.daemon.mqttUrl, id: 'dcu-1', ...td.credentials('dcu-1'), clock: () => clock, behaviour, seed: 7, readingsPerMessage,
      meters: Array.from({ length: meters }, (_, i) => ({ address: address(i + 1), energyWh: 1_000_000, loadW: 1000 })),
    });
    sims.push(sim);
    await sim.start();
    const charged = () => td!.daemon.mqtt.charging.charged();
    return { td, repos, ids, sim, charged, tick: (ms: number) => (clock += ms) };
  }

  it('acknowledges a reading only once it is committed, and charges it', async () => {
    const { repos, sim, tick, charged } = await setup(1);
    await sim.publishRound(); // first reading: the charging base
    // The PUBACK resolved publishRound: the reading must already be in the database, charged or pending.
    expect(committedCount(repos, 'dcu-1-m1')).toBe(1);
    await charged();
    expect(readingCount(repos, 'dcu-1-m1')).toBe(1);
    tick(HOUR); // 1 kWh at 1000 W
    await sim.publishRound();
    expect(committedCount(repos, 'dcu-1-m1')).toBe(2);
    await charged();
    expect(readingCount(repos, 'dcu-1-m1')).toBe(2);
    expect(committedCount(repos, 'dcu-1-m1')).toBe(2);
    expect(consumptionFen(repos, 'dcu-1-a1')).toBe(50); // 1 kWh × 0.5 yuan
    expect(repos.accounts.get('dcu-1-a1')!.balanceFen).toBe(100_000 - 50);
    expect(repos.meters.get('dcu-1-m1')!.relayState).toBe('closed');
  });

  it('stores and charges exactly once whatever the duplication, reordering and late batches', async () => {
    const meters = 20;
    const { repos, sim, tick, charged } = await setup(meters, { duplicateRate: 0.5, reorder: true, lateBatchEvery: 3 }, 7);
    const rounds = 12;
    for (let r = 0; r < rounds; r++) {
      await sim.publishRound();
      tick(HOUR);
    }
    // A concentrator re-sending its whole day, shuffled.
    await sim.replayHistory();
    await charged();
    for (let i = 1; i <= meters; i++) {
      expect(readingCount(repos, `dcu-1-m${i}`)).toBe(rounds);
      // 11 hours at 1 kW, 0.5 yuan/kWh: 5.50 yuan, whatever arrived twice or late.
      expect(consumptionFen(repos, `dcu-1-a${i}`)).toBe(550);
    }
    expect(repos.ledger.invariantViolations()).toEqual([]);
  });

  it('converts kWh to Wh exactly from the decimal text, and takes energyWh integers', async () => {
    const { repos, sim, charged } = await setup(3);
    const ts = '2026-11-22T08:00:00+08:00';
    await sim.publishRaw(JSON.stringify({ readings: [
      { meter: address(1), ts, energyKwh: 1234.56, relay: 'closed' },
      { meter: address(2), ts, energyKwh: 1.001 }, // 1.001 * 1000 is 1000.9999999999999 in floating point
      { meter: address(3), ts, energyWh: 987654321 },
    ] }));
    await charged();
    const stored = (id: string) => repos.meters.readings(id, 0, Number.MAX_SAFE_INTEGER, 10)[0]!.energyWh;
    expect(stored('dcu-1-m1')).toBe(1_234_560);
    expect(stored('dcu-1-m2')).toBe(1001);
    expect(stored('dcu-1-m3')).toBe(987_654_321);
  });

  it('stores the per-tariff registers of a reading', async () => {
    const { repos, sim, charged } = await setup(1);
    await sim.publishRaw(JSON.stringify({ readings: [{
      meter: address(1), ts: '2026-11-22T08:00:00+08:00', energyKwh: 30.5, touKwh: { peak: 10.25, flat: 10, valley: 10.25 },
    }] }));
    await charged();
    const row = repos.db.prepare(`SELECT peak_wh AS peak, flat_wh AS flat, valley_wh AS valley, critical_wh AS critical FROM tou_readings WHERE meter_id = 'dcu-1-m1'`).get();
    expect(row).toEqual({ peak: 10_250, flat: 10_000, valley: 10_250, critical: null });
  });

  it('raises an event and charges nothing when a register goes backwards', async () => {
    const { repos, sim, charged } = await setup(1);
    const send = (ts: string, energyKwh: number) => sim.publishRaw(JSON.stringify({ readings: [{ meter: address(1), ts, energyKwh }] }));
    await send('2026-11-22T08:00:00+08:00', 100);
    await send('2026-11-22T09:00:00+08:00', 102);
    await send('2026-11-22T10:00:00+08:00', 3); // meter replaced
    await charged();
    expect(consumptionFen(repos, 'dcu-1-a1')).toBe(100); // 2 kWh
    const events = repos.db.prepare(`SELECT type FROM events WHERE meter_id = 'dcu-1-m1' AND type = 'register-backwards'`).all();
    expect(events).toHaveLength(1);
  });

  it('keeps malformed messages and readings as dead letters, counts them, and goes on', async () => {
    const { td, repos, sim, charged } = await setup(2);
    const ts = '2026-11-22T08:00:00+08:00';
    await sim.publishRaw('{"readings":[{"meter":'); // not JSON
    await sim.publishRaw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])); // not UTF-8
    await sim.publishRaw(JSON.stringify({ values: [] })); // wrong shape
    await sim.publishRaw(JSON.stringify({ readings: [
      { meter: address(1), ts, energyKwh: 10 }, // good: stored
      { meter: 'no-such-meter', ts, energyKwh: 1 }, // unknown meter
      { meter: address(2), ts, energyKwh: -1 }, // impossible value
      { meter: address(2), ts: '22/11/2026 08:00', energyKwh: 1 }, // no offset: ambiguous time
    ] }));
    expect(deadLetterCount(repos)).toBe(6);
    await charged();
    expect(readingCount(repos, 'dcu-1-m1')).toBe(1);
    // The ingest goes on after them.
    await sim.publishRaw(JSON.stringify({ readings: [{ meter: address(2), ts, energyKwh: 20 }] }));
    await charged();
    expect(readingCount(repos, 'dcu-1-m2')).toBe(1);

    const page1 = await td.api('GET', '/v1/dead-letters?limit=3', { role: 'operator' });
    expect(page1.status).toBe(200);
    expect(page1.body.deadLetters).toHaveLength(3);
    expect(page1.body.deadLetters[0]).toMatchObject({ source: 'mqtt', topic: 'feikong/v1/concentrators/dcu-1/readings' });
    expect(page1.body.deadLetters[0].reason).toMatch(/^bad-json: /);
    expect(page1.body.deadLetters[1].reason).toMatch(/^bad-encoding: /);
    expect(page1.body.deadLetters[2].reason).toMatch(/^bad-shape: /);
    const page2 = await td.api('GET', `/v1/dead-letters?after=${page1.body.next}`, { role: 'read-only' });
    expect(page2.body.deadLetters.map((d: { reason: string }) => d.reason.split(':')[0])).toEqual(['unknown-meter', 'bad-value', 'bad-timestamp']);
    expect(JSON.parse(page2.body.deadLetters[0].payload)).toEqual({ readings: [{ meter: 'no-such-meter', ts, energyKwh: 1 }] });
    expect(page2.body.next).toBeNull();
    expect((await td.api('GET', '/v1/dead-letters', { role: 'billing' })).status).toBe(403);

    const metrics = (await td.api('GET', '/metrics', { role: null })).body as string;
    expect(metrics).toMatch(/feikong_dead_letters_total\{source="mqtt",reason="unknown-meter"\} 1/);
    expect(metrics).toMatch(/feikong_dead_letters_total\{source="mqtt",reason="bad-json"\} 1/);
  });

  /** Of three meters' second readings, meter 2's went to the dead letters; the others were stored and charged. */
  const expectOnlyMeter2SetAside = (repos: Repositories) => {
    expect(readingCount(repos, 'dcu-1-m1')).toBe(2);
    expect(readingCount(repos, 'dcu-1-m2')).toBe(1);
    expect(readingCount(repos, 'dcu-1-m3')).toBe(2);
    expect(consumptionFen(repos, 'dcu-1-a1')).toBe(100);
    expect(consumptionFen(repos, 'dcu-1-a3')).toBe(100);
    const dead = repos.ingest.deadLetters(0, 10);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.reason).toMatch(/^internal: /);
    expect(JSON.parse(dead[0]!.payload).readings[0].meter).toBe(address(2));
  };

  it('sets aside only the readings whose charging fails unexpectedly; the rest of the transaction commits', async () => {
    const { repos, sim, charged } = await setup(3);
    // Account 2's tariff is unreadable: charging its meter throws inside recordReading.
    repos.db.prepare(`INSERT INTO tariffs (id, name, definition, created_at) VALUES ('broken', 'broken', '{not json', 0)`).run();
    repos.db.prepare(`UPDATE accounts SET tariff_id = 'broken' WHERE id = 'dcu-1-a2'`).run();
    const send = (m: number, ts: string, energyKwh: number) => sim.publishRaw(JSON.stringify({ readings: [{ meter: address(m), ts, energyKwh }] }));
    await Promise.all([1, 2, 3].map((m) => send(m, '2026-11-22T08:00:00+08:00', 10))); // charging bases: no tariff needed
    await Promise.all([1, 2, 3].map((m) => send(m, '2026-11-22T09:00:00+08:00', 12)));
    await charged();
    expectOnlyMeter2SetAside(repos);
  });

  it('sets aside only the readings whose statement the database refuses; the rest of the transaction commits', async () => {
    const { td, repos, sim, charged } = await setup(3);
    const send = (m: number, ts: string, energyKwh: number) => sim.publishRaw(JSON.stringify({ readings: [{ meter: address(m), ts, energyKwh }] }));
    await Promise.all([1, 2, 3].map((m) => send(m, '2026-11-22T08:00:00+08:00', 10)));
    await charged();
    // Storing meter 2's next reading writes, then breaks a primary key: the database refuses the
    // statement (PostgreSQL aborts the whole transaction until it is rolled back).
    const duplicateTariff = repos.db.prepare(`INSERT INTO tariffs (id, name, definition, created_at)
      SELECT id, name, definition, created_at FROM tariffs WHERE id = (SELECT tariff_id FROM accounts WHERE id = 'dcu-1-a2')`);
    const insertReading = repos.meters.insertReading;
    vi.spyOn(repos.meters, 'insertReading').mockImplementation((meterId, ...rest) => {
      const stored = insertReading(meterId, ...rest);
      if (meterId === 'dcu-1-m2') duplicateTariff.run();
      return stored;
    });
    // Three messages taken at once: one ingest batch, then one charging transaction.
    const count = async (h: { get(): Promise<{ values: Array<{ metricName?: string; value: number }> }> }) => (await h.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const { metrics } = td.daemon;
    const [batches, charges] = [await count(metrics.ingestBatchReadings), await count(metrics.chargingSeconds)];
    const { pipeline } = td.daemon.mqtt;
    await Promise.all([1, 2, 3].map((m) => new Promise<void>((acked) => pipeline.submit('feikong/v1/concentrators/dcu-1/readings', 'dcu-1',
      Buffer.from(JSON.stringify({ readings: [{ meter: address(m), ts: '2026-11-22T09:00:00+08:00', energyKwh: 12 }] })), acked))));
    expect(await count(metrics.ingestBatchReadings)).toBe(batches + 1);
    await charged();
    expect(await count(metrics.chargingSeconds)).toBe(charges + 1);
    expectOnlyMeter2SetAside(repos);
    expect(consumptionFen(repos, 'dcu-1-a2')).toBe(0);
  });
});
