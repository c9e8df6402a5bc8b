// Repository functions for bus leases (docs/scale.md "Several daemons"): which daemon owns each bus.
// Taking and renewing are one conditional upsert, so two daemons racing for a bus cannot both
// win: the row is written only when the lease is free, expired, or already the taker's, and the
// epoch (a fencing counter) goes up when the owner changes. `takeFrom` is for a holder known to be
// gone (a process of this host that no longer exists): conditional on the row still naming it.
import type { Database } from '../database.js';

export interface BusLeaseRow {
  busId: string;
  nodeId: string;
  expiresAt: number;
  epoch: number;
  acquiredAt: number;
}

/** What a write on a bus must find in its lease row: this node, at the epoch it took the lease with. */
export interface LeaseFence {
  busId: string;
  nodeId: string;
  epoch: number;
}

const LEASE_COLUMNS = 'bus_id AS "busId", node_id AS "nodeId", expires_at AS "expiresAt", epoch, acquired_at AS "acquiredAt"';

export function leasesRepository(db: Database) {
  const take = db.prepare(`INSERT INTO bus_leases (bus_id, node_id, expires_at, epoch, acquired_at)
    VALUES (@busId, @nodeId, @expiresAt, 1, @at)
    ON CONFLICT (bus_id) DO UPDATE SET
      epoch = CASE WHEN bus_leases.node_id = excluded.node_id THEN bus_leases.epoch ELSE bus_leases.epoch + 1 END,
      acquired_at = CASE WHEN bus_leases.node_id = excluded.node_id THEN bus_leases.acquired_at ELSE excluded.acquired_at END,
      node_id = excluded.node_id,
      expires_at = excluded.expires_at
    WHERE bus_leases.node_id = excluded.node_id OR bus_leases.expires_at <= excluded.acquired_at
    RETURNING ${LEASE_COLUMNS}`);
  const takeFrom = db.prepare(`UPDATE bus_leases SET node_id = @nodeId, expires_at = @expiresAt, epoch = epoch + 1, acquired_at = @at
    WHERE bus_id = @busId AND node_id = @from AND node_id <> @nodeId
    RETURNING ${LEASE_COLUMNS}`);
  const release = db.prepare(`UPDATE bus_leases SET expires_at = @at WHERE bus_id = @busId AND node_id = @nodeId AND expires_at > @at`);
  const byBus = db.prepare(`SELECT ${LEASE_COLUMNS} FROM bus_leases WHERE bus_id = ?`);
  const all = db.prepare(`SELECT ${LEASE_COLUMNS} FROM bus_leases ORDER BY bus_id`);
  const holdsAt = db.prepare(`SELECT 1 FROM bus_leases WHERE bus_id = @busId AND node_id = @nodeId AND epoch = @epoch`).pluck();

  return {
    /**
     * Takes or renews the lease of `busId` for `nodeId` until `expiresAt`, when it is free, expired
     * at `at`, or already this node's. Returns the lease as written, or undefined when another
     * node holds it.
     */
    acquire(busId: string, nodeId: string, at: number, expiresAt: number): BusLeaseRow | undefined {
      return take.get({ busId, nodeId, at, expiresAt }) as BusLeaseRow | undefined;
    },
    /**
     * Takes the lease of `busId` from node `from` whatever its expiry (that node is known to be
     * gone), only while the row still names it. Returns the lease as written, or undefined.
     */
    takeFrom(busId: string, from: string, nodeId: string, at: number, expiresAt: number): BusLeaseRow | undefined {
      return takeFrom.get({ busId, from, nodeId, at, expiresAt }) as BusLeaseRow | undefined;
    },
    /** Ends this node's lease at `at` (the row stays, keeping the epoch); false when it was not held. */
    release(busId: string, nodeId: string, at: number): boolean {
      return release.run({ busId, nodeId, at }).changes === 1;
    },
    get(busId: string): BusLeaseRow | undefined {
      return byBus.get(busId) as BusLeaseRow | undefined;
    },
    /** Whether the lease row still names the fence's node at its epoch. */
    holdsAt(fence: LeaseFence): boolean {
      return holdsAt.get({ busId: fence.busId, nodeId: fence.nodeId, epoch: fence.epoch }) !== undefined;
    },
    all(): BusLeaseRow[] {
      return all.all() as BusLeaseRow[];
    },
  };
}

export type LeasesRepository = ReturnType<typeof leasesRepository>;
