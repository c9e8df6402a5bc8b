// Bus leases on one database shared by two connections, as two daemons share it: the one
// conditional upsert (free, expired or already ours; the epoch goes up with each new owner), and
// two lease keepers with different node ids — one owner at a time, a takeover only after the
// first has stopped using the bus and its lease has expired, the epoch counting owners, the
// leases released on stop, and a lease of a process of this host that is gone taken at once.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openConfiguredDatabase } from '../../src/db/open.js';
import { dropTestDatabase, testDatabaseConfig } from '../helpers/database.js';
import { leasesRepository, type LeasesRepository } from '../../src/db/repo/leases.js';
import { LeaseKeeper } from '../../src/cluster/leases.js';
import { eventually } from '../helpers/eventually.js';

const BUSES = ['line-1', 'dtu-7'];
const LEASE_MS = 600;
const logger = pino({ level: 'silent' });

interface Node {
  db: Database;
  repo: LeasesRepository;
  keeper: LeaseKeeper;
  /** what the keeper told its daemon, with the wall-clock time */
  log: Array<{ at: number; kind: 'acquired' | 'lost'; bus: string; epoch?: number }>;
}

describe('bus leases', () => {
  let dir: string;
  const dbs: Database[] = [];
  const keepers: LeaseKeeper[] = [];
  const open = (): Database => {
    dir ??= mkdtempSync(join(tmpdir(), 'feikong-leases-'));
    const db = openConfiguredDatabase({ dataDir: dir, database: testDatabaseConfig(dir) });
    dbs.push(db);
    return db;
  };
  const node = (nodeId: string, start = true): Node => {
    const db = open();
    const repo = leasesRepository(db);
    const keeper = new LeaseKeeper(repo, { nodeId, leaseMs: LEASE_MS, busIds: BUSES }, logger);
    keepers.push(keeper);
    const n: Node = { db, repo, keeper, log: [] };
    if (start) {
      keeper.start({
        onAcquired: (bus, lease) => n.log.push({ at: Date.now(), kind: 'acquired', bus, epoch: lease.epoch }),
        onLost: (bus) => n.log.push({ at: Date.now(), kind: 'lost', bus }),
      });
    }
    return n;
  };

  afterEach(() => {
    for (const k of keepers.splice(0)) {
      try {
        k.stop();
      } catch {
        /* its database is closed already */
      }
    }
    for (const db of dbs.splice(0)) if (db.open) db.close();
    if (dir) {
      dropTestDatabase(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    dir = undefined as unknown as string;
  });

  it('are taken and renewed with one conditional upsert: free, expired or already ours', () => {
    const repo = leasesRepository(open());
    expect(repo.acquire('line-1', 'a', 1000, 2000)).toEqual({ busId: 'line-1', nodeId: 'a', expiresAt: 2000, epoch: 1, acquiredAt: 1000 });
    expect(repo.acquire('line-1', 'b', 1999, 2999)).toBeUndefined();
    expect(repo.acquire('line-1', 'a', 1500, 2500)).toEqual({ busId: 'line-1', nodeId: 'a', expiresAt: 2500, epoch: 1, acquiredAt: 1000 });
    // Expired: another node takes it, and the epoch counts the new owner.
    expect(repo.acquire('line-1', 'b', 2500, 3500)).toEqual({ busId: 'line-1', nodeId: 'b', expiresAt: 3500, epoch: 2, acquiredAt: 2500 });
    expect(repo.acquire('line-1', 'a', 2600, 3600)).toBeUndefined();
    // Released: free at once, the row (and its epoch) kept.
    expect(repo.release('line-1', 'a', 2700)).toBe(false);
    expect(repo.release('line-1', 'b', 2700)).toBe(true);
    expect(repo.acquire('line-1', 'a', 2701, 3701)).toMatchObject({ nodeId: 'a', epoch: 3, acquiredAt: 2701 });
    // Taken from a holder known to be gone: only while the row still names it.
    expect(repo.takeFrom('line-1', 'b', 'c', 2800, 3800)).toBeUndefined();
    expect(repo.takeFrom('line-1', 'a', 'c', 2800, 3800)).toMatchObject({ nodeId: 'c', epoch: 4, expiresAt: 3800 });
    expect(repo.all()).toHaveLength(1);
  });

  it('have one owner at a time: the first keeper takes every bus, the second none', async () => {
    const a = node('node-a');
    const b = node('node-b');
    expect(a.log.map((e) => [e.kind, e.bus, e.epoch])).toEqual([['acquired', 'line-1', 1], ['acquired', 'dtu-7', 1]]);
    const first = a.repo.get('line-1')!.expiresAt;
    // Renewed every leaseMs / 3, still a's, still epoch 1; b never held anything.
    await eventually(() => expect(a.repo.get('line-1')!.expiresAt).toBeGreaterThan(first + LEASE_MS));
    for (const bus of BUSES) {
      expect(a.keeper.holds(bus)).toBe(true);
      expect(b.keeper.holds(bus)).toBe(false);
      expect(b.repo.get(bus)).toMatchObject({ nodeId: 'node-a', epoch: 1 });
    }
    expect(a.log.filter((e) => e.kind === 'lost')).toEqual([]);
    expect(b.log).toEqual([]);
    expect(a.keeper.heldBusIds().sort()).toEqual([...BUSES].sort());
    expect(b.keeper.heldBusIds()).toEqual([]);
  });

  it('are taken over only after the owner stopped using the bus and its lease expired; the epoch goes up', async () => {
    const a = node('node-a');
    const b = node('node-b');
    // a can no longer reach the database: its renewals fail.
    a.db.close();
    const lastExpiry = b.repo.get('line-1')!.expiresAt;
    await eventually(() => expect(b.keeper.holds('line-1')).toBe(true), 20_000, 10);
    await eventually(() => expect(b.keeper.holds('dtu-7')).toBe(true), 20_000, 10);
    expect(a.keeper.holds('line-1')).toBe(false);

    const lost = a.log.find((e) => e.kind === 'lost' && e.bus === 'line-1')!;
    const taken = b.log.find((e) => e.kind === 'acquired' && e.bus === 'line-1')!;
    expect(lost).toBeDefined();
    // a stopped at its local deadline, a margin before the lease could be taken; b took it after.
    expect(lost.at).toBeLessThanOrEqual(lastExpiry);
    expect(taken.at).toBeGreaterThanOrEqual(lastExpiry);
    expect(lost.at).toBeLessThan(taken.at);
    expect(taken.epoch).toBe(2);
    expect(b.repo.get('line-1')).toMatchObject({ nodeId: 'node-b', epoch: 2 });
    expect(b.keeper.epochOf('line-1')).toBe(2);
  });

  it('are released on stop and taken by the other keeper at its next renewal', async () => {
    const a = node('node-a');
    const b = node('node-b');
    a.keeper.stop();
    for (const bus of BUSES) expect(b.repo.get(bus)!.expiresAt).toBeLessThanOrEqual(Date.now());
    expect(a.keeper.holds('line-1')).toBe(false);
    await eventually(() => expect(b.keeper.heldBusIds().sort()).toEqual([...BUSES].sort()), 20_000, 10);
    expect(b.repo.get('line-1')).toMatchObject({ nodeId: 'node-b', epoch: 2 });
    // And back: the epoch counts every change of owner.
    b.keeper.stop();
    const c = node('node-a');
    expect(c.log.map((e) => [e.kind, e.bus, e.epoch])).toEqual([['acquired', 'line-1', 3], ['acquired', 'dtu-7', 3]]);
  });

  it('held by a process of this host that is gone are taken at once; a live one is waited out', async () => {
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((r) => gone.once('exit', r));
    const seed = leasesRepository(open());
    const at = Date.now();
    seed.acquire('line-1', `${hostname()}-${gone.pid!}`, at, at + 60_000);
    seed.acquire('dtu-7', `${hostname()}-${process.ppid}`, at, at + 60_000);

    const n = node('node-n');
    expect(n.log.map((e) => [e.kind, e.bus, e.epoch])).toEqual([['acquired', 'line-1', 2]]);
    expect(n.keeper.holds('line-1')).toBe(true);
    expect(n.keeper.holds('dtu-7')).toBe(false);
    expect(seed.get('dtu-7')).toMatchObject({ nodeId: `${hostname()}-${process.ppid}`, epoch: 1 });
  });
});
