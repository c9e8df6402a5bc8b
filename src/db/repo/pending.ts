// Repository functions for pending readings: readings the concentrator ingest committed and
// charging has not yet taken (src/ledger/pending-charging.ts). Appended in arrival order under ids
// that are never used again; a row is claimed — deleted — by the one transaction that charges it,
// so a reading is charged once even when several daemons charge from one database.
import type { Database } from '../database.js';
import { jsonValues } from '../dialect.js';

export interface PendingReadingRow {
  id: number;
  meterId: string;
  ts: number;
  energyWh: number;
  relay: 'open' | 'closed' | null;
  /** per-tariff registers as JSON, or null */
  tou: string | null;
  receivedAt: number;
}

export function pendingRepository(db: Database) {
  const insert = db.prepare(`INSERT INTO pending_readings (meter_id, ts, energy_wh, relay, tou, received_at) VALUES (?, ?, ?, ?, ?, ?)`);
  const oldest = db.prepare(`SELECT id, meter_id AS "meterId", ts, energy_wh AS "energyWh", relay, tou, received_at AS "receivedAt"
    FROM pending_readings ORDER BY id LIMIT ?`);
  const claim = db.prepare(`DELETE FROM pending_readings WHERE id IN (SELECT CAST(value AS bigint) FROM ${jsonValues(db, '?')})`);
  const count = db.prepare(`SELECT COUNT(*) FROM pending_readings`).pluck();
  const oldestAt = db.prepare(`SELECT MIN(received_at) FROM pending_readings`).pluck();

  return {
    add(meterId: string, ts: number, energyWh: number, relay: 'open' | 'closed' | null, tou: string | null, at: number): void {
      insert.run(meterId, ts, energyWh, relay, tou, at);
    },
    /** The oldest pending readings, in arrival order. */
    oldest(limit: number): PendingReadingRow[] {
      return oldest.all(limit) as PendingReadingRow[];
    },
    /** Deletes the given pending readings; answers how many were still there. */
    claim(ids: number[]): number {
      return ids.length === 0 ? 0 : claim.run(JSON.stringify(ids)).changes;
    },
    count(): number {
      return Number(count.get());
    },
    /** When the oldest pending reading was received, or null when none is pending. */
    oldestReceivedAt(): number | null {
      const at = oldestAt.get();
      return at === null || at === undefined ? null : Number(at);
    },
  };
}

export type PendingRepository = ReturnType<typeof pendingRepository>;
