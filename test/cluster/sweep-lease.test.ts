// The engine's periodic sweep runs in one daemon at a time on a shared database: the holder of the
// sweep lease. Two daemons in this process on one data directory, each with its own node id: only
// the holder's sweep count grows; after it stops (releasing its leases) the other takes the sweep
// over. Evaluations on events are not gated: every daemon still acts on its own payments.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { dropTestDatabase } from '../helpers/database.js';
import { SWEEP_LEASE } from '../../src/daemon.js';

const sweeps = async (d: TestDaemon): Promise<number> => {
  const text = String((await d.api('GET', '/metrics', { role: null })).body);
  return Number(/^feikong_engine_sweep_seconds_count (\d+)$/m.exec(text)?.[1] ?? 0);
};

describe('the engine sweep lease', () => {
  const daemons: TestDaemon[] = [];
  let dir: string | undefined;
  afterEach(async () => {
    for (const d of daemons.splice(0).reverse()) await d.stop();
    if (dir) {
      dropTestDatabase(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    dir = undefined;
  });

  it('sweeps in the holder only, and moves to the other daemon when the holder stops', async () => {
    const overrides = (nodeId: string) => ({ engine: { sweepIntervalMs: 100 }, cluster: { nodeId, leaseMs: 1000 } });
    // The directory is this test's: the first daemon's stop leaves the shared database to the second.
    dir = mkdtempSync(join(tmpdir(), 'feikong-sweep-lease-'));
    const a = await startTestDaemon(overrides('node-a'), dir);
    daemons.push(a);
    const b = await startTestDaemon(overrides('node-b'), dir);
    daemons.push(b);

    await eventually(async () => expect(await sweeps(a)).toBeGreaterThan(3));
    expect(a.daemon.repos.leases.get(SWEEP_LEASE)).toMatchObject({ nodeId: 'node-a' });
    expect(await sweeps(b)).toBe(0);

    await a.stop();
    daemons.shift();
    await eventually(async () => expect(await sweeps(b)).toBeGreaterThan(3), 10_000);
    expect(b.daemon.repos.leases.get(SWEEP_LEASE)).toMatchObject({ nodeId: 'node-b', epoch: 2 });
  });
});
