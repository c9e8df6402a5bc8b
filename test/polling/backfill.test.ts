// Daily frozen data and backfill (日冻结, 补抄) on a simulated clock: a meter keeps 10 days of
// daily freezes; the daemon reads the day's freeze once a day, is stopped for 5 days, and when it
// starts again reads the 5 freezes it missed from the meter's history — oldest first, each a
// reading charged once — and the completeness report shows the days complete.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair } from '../../simulators/pty.js';
import { startDlt645Bus } from '../../simulators/dlt645/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { dropTestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address } from './helpers.js';
import { TEST_POLLING } from './daemon-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const METER = address(42);
const LOAD_W = 1_000; // 24 kWh a day

describe('daily frozen data and backfill', () => {
  it('fills the 5 days the daemon was stopped from the meter\'s frozen history, each charged once', async () => {
    const start = Date.parse('2026-11-10T09:00:00+08:00');
    let t = start - 10 * DAY;
    const clock = () => t;
    const pty = cleanup.add(await createPtyPair(), (p) => p.close());
    const sim = cleanup.add(await startDlt645Bus({
      transport: { kind: 'serial', path: pty.a }, baudRate: 38_400, responseDelayMs: 20, clock,
      meters: [{ address: METER, energyWh: 100_000, loadW: LOAD_W, frozenDaysKept: 10 }],
    }), (s) => s.close());
    // Ten days pass before the meter is registered: it keeps ten freezes.
    t = start;
    expect(sim.meter(METER).frozenDay(10)).toBeDefined();
    expect(sim.meter(METER).frozenDay(11)).toBeUndefined();

    const dir = cleanup.add(mkdtempSync(join(tmpdir(), 'feikong-backfill-')), (d) => {
      dropTestDatabase(d);
      rmSync(d, { recursive: true, force: true });
    });
    const overrides = {
      buses: [{ id: 'line-1', kind: 'serial', path: pty.b, baudRate: 38_400 }],
      polling: { ...TEST_POLLING, intervalMs: 300 }, engine: { sweepIntervalMs: 3_600_000 },
    };
    let fk: TestDaemon = await startTestDaemon(overrides, dir, clock);
    await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Liu Yang' } });
    const paid = await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-1', channel: 'counter', channelTxnId: 'b-1', amountFen: 10_000_000 } });
    expect(paid.status).toBe(201);
    const created = await fk.api('POST', '/v1/meters', {
      body: { id: 'm-1', accountId: 'acc-1', protocol: 'dlt645', busId: 'line-1', address: METER, profile: 'dlt645-2007-single-phase' },
    });
    expect(created.status).toBe(201);
    const frozen = async () => (await fk.api('GET', '/v1/meters/m-1/frozen-readings', { role: 'read-only' })).body.days as Array<{ day: string; energyWh: number }>;
    const energyAt = (ms: number) => 100_000 + Math.floor(((ms - (start - 10 * DAY)) / HOUR) * LOAD_W);

    await eventually(async () => expect((await fk.api('GET', '/v1/meters/m-1', { role: 'read-only' })).body.lastEnergyWh).toBe(energyAt(start)), 30_000);
    // Freezes from before the meter was registered are never read.
    expect(await frozen()).toEqual([]);

    // The next day: the day's freeze is read once.
    t = start + DAY;
    await eventually(async () => expect((await frozen()).map((d) => d.day)).toEqual(['2026-11-11']), 30_000);
    expect((await frozen())[0]!.energyWh).toBe(energyAt(Date.parse('2026-11-11T00:00:00+08:00')));
    await eventually(async () => expect((await fk.api('GET', '/v1/meters/m-1', { role: 'read-only' })).body.lastEnergyWh).toBe(energyAt(t)), 30_000);
    await fk.stop();

    // Stopped for five days; started again on the same database.
    t = start + 6 * DAY;
    fk = await startTestDaemon(overrides, dir, clock);
    cleanup.add(fk, (d) => d.stop());
    const days = ['2026-11-11', '2026-11-12', '2026-11-13', '2026-11-14', '2026-11-15', '2026-11-16'];
    await eventually(async () => expect((await frozen()).map((d) => d.day)).toEqual(days), 30_000);
    for (const d of await frozen()) expect(d.energyWh, d.day).toBe(energyAt(Date.parse(`${d.day}T00:00:00+08:00`)));
    await eventually(async () => expect((await fk.api('GET', '/v1/meters/m-1', { role: 'read-only' })).body.lastEnergyWh).toBe(energyAt(t)), 30_000);

    // Each backfilled day is a reading, charged once: one consumption entry for each day's energy,
    // and all of them together are exactly the energy between the first and the last reading.
    const { repos } = fk.daemon;
    const ledger = repos.ledger.entries('acc-1', 0, 1000).filter((e) => e.kind === 'consumption');
    const energies = ledger.map((e) => e.energyWh);
    expect(energies.reduce((a, b) => a! + b!, 0)).toBe(energyAt(t) - energyAt(start));
    for (const day of days.slice(1)) {
      const dayStart = Date.parse(`${day}T00:00:00+08:00`);
      expect(energies, day).toContain(energyAt(dayStart) - energyAt(dayStart - DAY));
    }
    const readings = (await fk.api('GET', '/v1/meters/m-1/readings', { role: 'read-only' })).body.readings as Array<{ ts: string }>;
    expect(readings.map((r) => Date.parse(r.ts))).toEqual([
      start, Date.parse('2026-11-11T00:00:00+08:00'), start + DAY, ...days.slice(1).map((d) => Date.parse(`${d}T00:00:00+08:00`)), t,
    ]);
    // A later cycle reads no freeze again and charges nothing more.
    const charged = repos.ledger.sumFor('acc-1');
    const cycles = fk.daemon.pollers.get('line-1')!.stats.cycles;
    await eventually(() => expect(fk.daemon.pollers.get('line-1')!.stats.cycles).toBeGreaterThanOrEqual(cycles + 2), 30_000);
    expect(repos.ledger.sumFor('acc-1')).toBe(charged);
    expect((await frozen()).length).toBe(6);

    // The completeness report: every day the meter has its billing-day reading.
    const report = (await fk.api('GET', '/v1/collection/daily?day=2026-11-13', { role: 'read-only' })).body;
    expect(report).toMatchObject({ day: '2026-11-13', meters: 1, complete: 1, groups: [{ busId: 'line-1', meters: 1, complete: 1, missing: [] }] });
  }, 180_000);
});
