// Repository functions for pending readings: readings the concentrator ingest committed and
// charging has not yet taken (src/ledger/pending-charging.ts). Appended in arrival order under ids
// that are never used again; a row is claimed — deleted — by the one transaction that charges it,
// so a reading is charged once even when several daemons charge from one database.
import type { Database } from '../database.js';
import { jsonRows, jsonValues } from '../dialect.js';

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

/** A reading to append; its id is set when it is stored. */
export type NewPendingReading = Omit<PendingReadingRow, 'id'> & { id?: number };

const COLUMNS = `id, meter_id AS "meterId", ts, energy_wh AS "energyWh", relay, tou, received_at AS "receivedAt"`;

export function pendingRepository(db: Database) {
  // One statement per row on SQLite (in process: 1.6–2.0 µs a row, against 2.1–2.5 through a JSON
  // array, measured with 5,000-row transactions); one statement per batch on PostgreSQL, where each
  // statement is a round trip to the server.
  const insertOne = db.prepare(`INSERT INTO pending_readings (meter_id, ts, energy_wh, relay, tou, received_at) VALUES (?, ?, ?, ?, ?, ?)`);
  const insertMany = db.dialect === 'postgres' ? db.prepare(`INSERT INTO pending_readings (meter_id, ts, energy_wh, relay, tou, received_at)
    SELECT meter_id, ts, energy_wh, relay, tou, received_at FROM ${jsonRows(db, '?', [
      ['meter_id', 'text'], ['ts', 'bigint'], ['energy_wh', 'bigint'], ['relay', 'text'], ['tou', 'text'], ['received_at', 'bigint'],
    ])} AS batch
    RETURNING ${COLUMNS}`) : null;
  const oldest = db.prepare(`SELECT ${COLUMNS} FROM pending_readings ORDER BY id LIMIT ?`);
  const claim = db.prepare(`DELETE FROM pending_readings WHERE id IN (SELECT CAST(value AS bigint) FROM ${jsonValues(db, '?')})`);
  const count = db.prepare(`SELECT COUNT(*) FROM pending_readings`).pluck();
  const oldestAt = db.prepare(`SELECT MIN(received_at) FROM pending_readings`).pluck();

  return {
    /**
     * Appends readings in the order given (in one statement on PostgreSQL) and answers them as
     * stored, with their ids: on SQLite the rows given, their ids set.
     */
    addMany(rows: NewPendingReading[]): PendingReadingRow[] {
      if (rows.length === 0) return [];
      if (insertMany) {
        const stored = insertMany.all(JSON.stringify(rows.map((r) => [r.meterId, r.ts, r.energyWh, r.relay, r.tou, r.receivedAt]))) as PendingReadingRow[];
        return stored.sort((a, b) => a.id - b.id);
      }
      for (const row of rows) row.id = Number(insertOne.run(row.meterId, row.ts, row.energyWh, row.relay, row.tou, row.receivedAt).lastInsertRowid);
      return rows as PendingReadingRow[];
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
