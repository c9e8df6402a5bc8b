// The ingest's meters by address, kept in memory while the meter directory's version stays the
// same (both engines): the triggers move the version for every change that can move a reading to
// another meter, and not for a meter's state; a reading for a re-addressed, added or removed meter
// goes where the database says when its batch commits.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { createMetrics } from '../../src/metrics.js';
import { EventBus } from '../../src/events.js';
import { PendingCharging } from '../../src/ledger/pending-charging.js';
import { IngestPipeline } from '../../src/mqtt/ingest.js';
import { createMeter, updateMeter } from '../../src/fleet.js';
import { address, deadLetterCount, fleet } from './fixtures.js';

const logger = pino({ level: 'silent' });
const T0 = Date.parse('2026-11-22T00:00:00+08:00');
const HOUR = 3_600_000;
const TOPIC = 'feikong/v1/concentrators/dcu-d/readings';

describe('meter directory', () => {
  let t: TestDb | null = null;
  afterEach(() => {
    t?.cleanup();
    t = null;
  });

  it('changes its version when a meter is added, removed, re-addressed or moved, and not for its state', () => {
    t = openTestDb();
    const { repos, config } = t;
    const version = () => repos.ingest.meterDirectoryVersion();
    const v0 = version();
    expect(Number.isSafeInteger(v0)).toBe(true);
    fleet(repos, config, 'dcu-d', 2, 0, T0);
    const v1 = version();
    expect(v1).toBeGreaterThan(v0);
    repos.meters.setRelayState('dcu-d-m1', 'open', T0);
    repos.meters.setOnline('dcu-d-m1', false);
    expect(version()).toBe(v1);
    updateMeter(repos, config, 'dcu-d-m1', { address: address(7) }, 'test', T0);
    const v2 = version();
    expect(v2).toBeGreaterThan(v1);
    repos.db.prepare(`UPDATE meters SET concentrator_id = 'dcu-e' WHERE id = 'dcu-d-m2'`).run();
    const v3 = version();
    expect(v3).toBeGreaterThan(v2);
    repos.db.prepare(`DELETE FROM meters WHERE id = 'dcu-d-m2'`).run();
    expect(version()).toBeGreaterThan(v3);
  });

  it('sends readings to the meters as they are when the batch commits', async () => {
    t = openTestDb();
    const { repos, config } = t;
    fleet(repos, config, 'dcu-d', 2, 0, T0);
    const charging = new PendingCharging(repos, new EventBus(logger), createMetrics(), logger, {
      delayMs: 60_000, batchReadings: 20_000, transactionMs: 60_000, maxPending: 200_000, utcOffsetMinutes: 480,
    }, () => null);
    charging.start();
    const pipeline = new IngestPipeline(repos, charging, createMetrics(), logger, {
      batchMaxReadings: 100, lingerMs: 0, maxPayloadBytes: 1 << 20, maxReadingsPerMessage: 100, futureToleranceMs: 86_400_000,
    }, () => T0 + 10 * HOUR);
    const acked: number[] = [];
    const send = async (hour: number, addresses: string[]) => {
      pipeline.submit(TOPIC, 'dcu-d', Buffer.from(JSON.stringify({ readings: addresses.map((a) => ({
        meter: a, ts: new Date(T0 + hour * HOUR).toISOString(), energyWh: 10_000 + hour * 1000,
      })) })), () => acked.push(hour));
      await new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const check = () => (acked.includes(hour) ? resolve() : Date.now() - started > 30_000 ? reject(new Error(`hour ${hour} not acknowledged`)) : setTimeout(check, 5));
        check();
      });
    };
    const pendingFor = (meterId: string) => Number(repos.db.prepare('SELECT COUNT(*) FROM pending_readings WHERE meter_id = ?').pluck().get(meterId));
    try {
      await send(1, [address(1), address(2)]);
      expect([pendingFor('dcu-d-m1'), pendingFor('dcu-d-m2'), deadLetterCount(repos)]).toEqual([1, 1, 0]);
      // Meter 1 takes a new address: its old one is nobody's now.
      updateMeter(repos, config, 'dcu-d-m1', { address: address(7) }, 'test', T0);
      await send(2, [address(1), address(7)]);
      expect([pendingFor('dcu-d-m1'), deadLetterCount(repos)]).toEqual([2, 1]);
      // A meter added under the address first seen unknown is found.
      createMeter(repos, config, { id: 'dcu-d-m9', accountId: 'dcu-d-a2', protocol: 'mqtt', concentratorId: 'dcu-d', address: address(1) }, 'test', T0);
      await send(3, [address(1)]);
      expect([pendingFor('dcu-d-m9'), deadLetterCount(repos)]).toEqual([1, 1]);
    } finally {
      pipeline.stop();
      charging.stop();
    }
  });
});
