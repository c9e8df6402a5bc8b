// Pending readings between the ingest and charging, on a real database (both engines): a reading
// another daemon's charging took first is neither charged nor counted again here, a meter with
// pending readings is not deleted, and the ingest stops acknowledging while charging is behind by
// maxPending readings, until it catches up. Charging takes what its ingest stored from memory and
// reads back what it does not hold.
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { createRepositories, type Repositories } from '../../src/db/repo/index.js';
import { EventBus } from '../../src/events.js';
import { createMetrics } from '../../src/metrics.js';
import { PendingCharging, type PendingChargingOptions } from '../../src/ledger/pending-charging.js';
import { IngestPipeline } from '../../src/mqtt/ingest.js';
import { recordReading } from '../../src/ledger/consumption.js';
import { address, consumptionFen, fleet } from './fixtures.js';
import { createAccount, createMeter, deleteMeter } from '../../src/fleet.js';

const logger = pino({ level: 'silent' });
const T0 = Date.parse('2026-11-22T00:00:00+08:00');
const HOUR = 3_600_000;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function charging(repos: Repositories, options: Partial<PendingChargingOptions> = {}, metrics = createMetrics()): PendingCharging {
  return new PendingCharging(repos, new EventBus(logger), metrics, logger, {
    delayMs: 60_000, batchReadings: 20_000, transactionMs: 60_000, maxPending: 200_000, utcOffsetMinutes: 480, ...options,
  }, () => null);
}

describe('pending readings', () => {
  let t: TestDb | null = null;
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const c of cleanups.splice(0).reverse()) c();
    t?.cleanup();
    t = null;
  });

  /** `meters` meters behind `concentratorId` with their charging base at T0, and two hours of readings pending for each. */
  function setup(concentratorId = 'dcu-p', meters = 3): TestDb {
    t = openTestDb();
    fleet(t.repos, t.config, concentratorId, meters, 100_000, T0);
    for (let m = 1; m <= meters; m++) {
      const meterId = `${concentratorId}-m${m}`;
      t.repos.transaction(() => recordReading(t!.repos, { meterId, ts: T0, energyWh: 10_000 }, T0));
      t.repos.pending.addMany([1, 2].map((h) => ({ meterId, ts: T0 + h * HOUR, energyWh: 10_000 + h * 1000, relay: 'closed', tou: null, receivedAt: T0 + h * HOUR })));
    }
    return t;
  }

  it('takes each pending reading once when another daemon charged some first', async () => {
    const { repos, config } = setup();
    // This daemon plans one meter per transaction and charges the first meter…
    const metrics = createMetrics();
    const ours = charging(repos, { batchReadings: 1 }, metrics);
    ours.idle();
    await turn();
    expect(repos.pending.count()).toBe(4);
    // …then another daemon on the same database charges everything left.
    const db = openConfiguredDatabase(config);
    cleanups.push(() => db.close());
    const theirs = charging(createRepositories(db));
    theirs.stop();
    expect(repos.pending.count()).toBe(0);
    // This daemon's planned transactions find their readings gone and take nothing: it stored two
    // readings (meter 1's) and saw no others, not even as duplicates.
    await ours.charged();
    ours.stop();
    const counted = (await metrics.readingsTotal.get()).values.map((v) => [v.labels.result, v.value]);
    expect(counted).toEqual([['stored', 2]]);
    for (let m = 1; m <= 3; m++) {
      expect(repos.meters.readings(`dcu-p-m${m}`, 0, Number.MAX_SAFE_INTEGER, 10)).toHaveLength(3);
      expect(consumptionFen(repos, `dcu-p-a${m}`)).toBe(100); // 2 kWh at 0.5 yuan, once
    }
    expect(repos.ledger.invariantViolations()).toEqual([]);
  });

  it('charges what its ingest stored from memory, and reads back readings it does not hold', async () => {
    const { repos } = setup();
    repos.db.prepare('DELETE FROM pending_readings').run();
    const charger = charging(repos);
    charger.start();
    const pipeline = new IngestPipeline(repos, charger, createMetrics(), logger, {
      batchMaxReadings: 100, lingerMs: 0, maxPayloadBytes: 1 << 20, maxReadingsPerMessage: 100, futureToleranceMs: 86_400_000,
    }, () => T0 + 10 * HOUR);
    cleanups.push(() => { pipeline.stop(); charger.stop(); });
    const readBack = vi.spyOn(repos.pending, 'oldest');
    const message = (hour: number, meters: number[]) => Buffer.from(JSON.stringify({ readings: meters.map((m) => ({
      meter: address(m), ts: new Date(T0 + hour * HOUR).toISOString(), energyWh: 10_000 + hour * 1000,
    })) }));
    const acked: number[] = [];
    for (const hour of [1, 2, 3]) pipeline.submit('feikong/v1/concentrators/dcu-p/readings', 'dcu-p', message(hour, [1, 2]), () => acked.push(hour));
    await vi.waitFor(() => expect(acked).toEqual([1, 2, 3]), { timeout: 20_000 });
    await charger.charged();
    expect(readBack).not.toHaveBeenCalled();
    for (const m of [1, 2]) expect(consumptionFen(repos, `dcu-p-a${m}`)).toBe(150); // 3 kWh at 0.5 yuan
    // Another daemon's reading, committed to the same table: the count at the end of this daemon's
    // next round shows a reading it does not hold, and the round after reads it back.
    repos.transaction(() => repos.pending.addMany([{ meterId: 'dcu-p-m3', ts: T0 + HOUR, energyWh: 11_000, relay: null, tou: null, receivedAt: T0 + HOUR }]));
    pipeline.submit('feikong/v1/concentrators/dcu-p/readings', 'dcu-p', message(4, [1]), () => acked.push(4));
    await vi.waitFor(() => expect(acked).toEqual([1, 2, 3, 4]), { timeout: 20_000 });
    await charger.charged();
    expect(readBack).toHaveBeenCalled();
    expect(repos.pending.count()).toBe(0);
    expect(consumptionFen(repos, 'dcu-p-a1')).toBe(200);
    expect(consumptionFen(repos, 'dcu-p-a3')).toBe(50);
    expect(repos.ledger.invariantViolations()).toEqual([]);
  });

  it('takes messages again as soon as a charged chunk makes room, not at the end of the round', async () => {
    const { repos } = setup();
    repos.db.prepare('DELETE FROM pending_readings').run();
    // Chunks of one meter (two readings) each; the round has three.
    const charger = charging(repos, { maxPending: 5, batchReadings: 2 });
    charger.start();
    const pipeline = new IngestPipeline(repos, charger, createMetrics(), logger, {
      batchMaxReadings: 3, lingerMs: 0, maxPayloadBytes: 1 << 20, maxReadingsPerMessage: 100, futureToleranceMs: 86_400_000,
    }, () => T0 + 10 * HOUR);
    cleanups.push(() => { pipeline.stop(); charger.stop(); });
    let chunks = 0;
    charger.onCharged(() => chunks++);
    const chunksAtAck: number[] = [];
    const message = (hour: number) => Buffer.from(JSON.stringify({ readings: [1, 2, 3].map((m) => ({
      meter: address(m), ts: new Date(T0 + hour * HOUR).toISOString(), energyWh: 10_000 + hour * 1000, relay: 'closed',
    })) }));
    for (const hour of [1, 2, 3]) pipeline.submit('feikong/v1/concentrators/dcu-p/readings', 'dcu-p', message(hour), () => chunksAtAck.push(chunks));
    await vi.waitFor(() => expect(chunksAtAck).toHaveLength(3), { timeout: 10_000 });
    // Hours 1 and 2 went in at once; hour 3 waited for the first chunk, and only for it.
    expect(chunksAtAck).toEqual([0, 0, 1]);
    await charger.charged();
    for (let m = 1; m <= 3; m++) expect(consumptionFen(repos, `dcu-p-a${m}`)).toBe(150);
  });

  it('sizes transactions by time: smaller after one that took longer than transactionMs, growing back after quick ones; every reading charged once', async () => {
    const { repos } = setup('dcu-s', 12);
    // The transactions' clock: the first takes 1,000 ms, every later one 1 ms.
    let clock = 0n;
    let reads = 0;
    vi.spyOn(process.hrtime, 'bigint').mockImplementation(() => {
      if (reads++ % 2 === 1) clock += (reads === 2 ? 1000n : 1n) * 1_000_000n;
      return clock;
    });
    const charger = charging(repos, { batchReadings: 10, transactionMs: 100 });
    cleanups.push(() => charger.stop());
    const sizes: number[] = [];
    charger.onCharged((readings) => sizes.push(readings.length));
    charger.start();
    await charger.charged();
    // After the first (10 readings, five meters, in 1,000 ms) one reading a transaction, so one
    // meter each (its two readings). With the time bound ignored: 5, 5, 2.
    expect(sizes).toEqual([5, 1, 1, 1, 1, 1, 1, 1]);
    expect(repos.pending.count()).toBe(0);
    for (let m = 1; m <= 12; m++) expect(consumptionFen(repos, `dcu-s-a${m}`)).toBe(100); // 2 kWh at 0.5 yuan
    // The quick ones doubled the bound: 2, then 4 (a 2-reading transaction does not show 4 too
    // small). The next round is cut at 4 readings: four meters a transaction, not one.
    sizes.length = 0;
    const hour3 = Array.from({ length: 12 }, (_, i) => ({ meterId: `dcu-s-m${i + 1}`, ts: T0 + 3 * HOUR, energyWh: 13_000, relay: 'closed' as const, tou: null, receivedAt: T0 + 3 * HOUR }));
    charger.stored(repos.transaction(() => repos.pending.addMany(hour3)));
    await charger.charged();
    expect(sizes).toEqual([4, 4, 4]);
    for (let m = 1; m <= 12; m++) expect(consumptionFen(repos, `dcu-s-a${m}`)).toBe(150);
    expect(repos.ledger.invariantViolations()).toEqual([]);
  });

  it('gives stored readings the ids the database holds them under, and claims exactly the ids given', () => {
    t = openTestDb();
    const { repos } = t;
    // 37 rows: on SQLite two statements of 16 rows and five of one.
    const rows = Array.from({ length: 37 }, (_, i) => ({ meterId: `m-${i % 5}`, ts: T0 + i * HOUR, energyWh: 1000 + i, relay: null, tou: null, receivedAt: T0 }));
    const stored = repos.transaction(() => repos.pending.addMany(rows));
    const held = repos.pending.oldest(100);
    expect(stored.map((r) => [r.id, r.meterId, r.ts, r.energyWh])).toEqual(held.map((r) => [r.id, r.meterId, r.ts, r.energyWh]));
    // Runs of consecutive ids, single ids, and ids no longer there.
    const ids = held.map((r) => r.id);
    const take = [...ids.slice(0, 3), ids[7]!, ids[9]!, ids[10]!, ...ids.slice(20, 36)];
    expect(repos.transaction(() => repos.pending.claim([...take].reverse()))).toBe(take.length);
    expect(repos.transaction(() => repos.pending.claim([ids[0]!, ids[36]!, ids[36]! + 1000]))).toBe(1);
    const left = new Set(repos.pending.oldest(100).map((r) => r.id));
    expect([...left]).toEqual(ids.filter((id) => !take.includes(id) && id !== ids[36]));
  });

  it('keeps a meter whose only readings are still pending', () => {
    t = openTestDb();
    createAccount(t.repos, t.config, { id: 'a-new', name: 'New customer' }, 'test', T0);
    createMeter(t.repos, t.config, { id: 'm-new', accountId: 'a-new', protocol: 'mqtt', concentratorId: 'dcu-p', address: address(9) }, 'test', T0);
    t.repos.transaction(() => t!.repos.pending.addMany([{ meterId: 'm-new', ts: T0, energyWh: 5000, relay: null, tou: null, receivedAt: T0 }]));
    expect(() => deleteMeter(t!.repos, 'm-new', 'test', T0)).toThrow(/1 readings/);
    expect(t.repos.meters.get('m-new')).toBeDefined();
  });

  it('holds acknowledgements while maxPending readings wait for charging, and gives them once it catches up', async () => {
    const { repos } = setup();
    repos.db.prepare('DELETE FROM pending_readings').run();
    const charger = charging(repos, { maxPending: 5 });
    const pipeline = new IngestPipeline(repos, charger, createMetrics(), logger, {
      batchMaxReadings: 3, lingerMs: 0, maxPayloadBytes: 1 << 20, maxReadingsPerMessage: 100, futureToleranceMs: 86_400_000,
    }, () => T0 + 10 * HOUR);
    cleanups.push(() => { pipeline.stop(); charger.stop(); });
    // Charging fails as a whole (the database refuses) until the test lets it through.
    const claim = repos.pending.claim;
    let refuse = true;
    let refused = 0;
    vi.spyOn(repos.pending, 'claim').mockImplementation((ids) => {
      if (refuse && ++refused) throw new Error('disk I/O error');
      return claim(ids);
    });
    const acked: number[] = [];
    const message = (hour: number) => Buffer.from(JSON.stringify({ readings: [1, 2, 3].map((m) => ({
      meter: address(m), ts: new Date(T0 + hour * HOUR).toISOString(), energyWh: 10_000 + hour * 1000,
    })) }));
    for (const hour of [1, 2, 3]) pipeline.submit('feikong/v1/concentrators/dcu-p/readings', 'dcu-p', message(hour), () => acked.push(hour));
    await vi.waitFor(() => expect(acked).toEqual([1, 2]), { timeout: 20_000 });
    // 6 pending ≥ 5: hour 3 stays unacknowledged while charging cannot catch up.
    await new Promise((r) => setTimeout(r, 300));
    expect(acked).toEqual([1, 2]);
    expect(charger.backlog).toBe(6);
    // Retried after 50, 100, 200 … ms (each attempt claims twice: the chunk, then meter by meter),
    // not every 50 ms: at most four attempts (0, 50, 150, 350 ms) in the wait above, counted from
    // up to 50 ms after the first.
    expect(refused).toBeLessThanOrEqual(8);
    refuse = false;
    await vi.waitFor(() => expect(acked).toEqual([1, 2, 3]), { timeout: 10_000 });
    await charger.charged();
    for (let m = 1; m <= 3; m++) expect(consumptionFen(repos, `dcu-p-a${m}`)).toBe(150); // 3 kWh
    expect(repos.ledger.invariantViolations()).toEqual([]);
  });
});
