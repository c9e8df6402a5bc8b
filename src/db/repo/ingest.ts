// Repository functions for concentrator ingest: meters by (concentrator, address) and the meter
// directory's version, relay state reported with readings, dead letters, and concentrator status
// with its meters' staleness.
import type { Database } from '../database.js';
import { insertReturningId, jsonValues } from '../dialect.js';
import { METER_COLUMNS, type MeterRow } from './meters.js';

export interface DeadLetterRow {
  id: number;
  source: string;
  topic: string | null;
  payload: string;
  reason: string;
  createdAt: number;
}

export interface ConcentratorRow {
  id: string;
  status: string;
  statusAt: number | null;
  createdAt: number;
}

export function ingestRepository(db: Database) {
  const meterByAddress = db.prepare(`SELECT ${METER_COLUMNS} FROM meters WHERE concentrator_id = ? AND address = ?`);
  const meterIdByAddress = db.prepare(`SELECT id FROM meters WHERE concentrator_id = ? AND address = ?`).pluck();
  const meterIdsByAddress = db.prepare(`SELECT address, id FROM meters WHERE concentrator_id = ?
    AND address IN (SELECT value FROM ${jsonValues(db, '?')})`);
  const directoryVersion = db.prepare(`SELECT version FROM meter_directory WHERE id = 1`).pluck();
  const relayFromReading = db.prepare(`UPDATE meters SET relay_state = @state, relay_state_at = @ts
    WHERE id = @id AND relay_state <> @state AND (relay_state_at IS NULL OR relay_state_at <= @ts)`);
  const insertDeadLetter = insertReturningId(db, `INSERT INTO dead_letters (source, topic, payload, reason, created_at) VALUES (?, ?, ?, ?, ?)`);
  const deadLetterPage = db.prepare(`SELECT id, source, topic, payload, reason, created_at AS "createdAt" FROM dead_letters
    WHERE id > @after AND (CAST(@source AS text) IS NULL OR source = @source) ORDER BY id LIMIT @limit`);
  const concentratorById = db.prepare(`SELECT id, status, status_at AS "statusAt", created_at AS "createdAt" FROM concentrators WHERE id = ?`);
  const upsertStatus = db.prepare(`INSERT INTO concentrators (id, status, status_at, created_at) VALUES (@id, @status, @at, @at)
    ON CONFLICT (id) DO UPDATE SET status = excluded.status, status_at = excluded.status_at`);
  const setStale = db.prepare(`UPDATE meters SET stale = @stale WHERE concentrator_id = @id AND stale <> @stale`);
  const concentratorsWithStatus = db.prepare(`SELECT id, status, status_at AS "statusAt", created_at AS "createdAt" FROM concentrators
    WHERE status = ? ORDER BY id`);
  // Nested inside a transaction, better-sqlite3 runs this as SAVEPOINT … RELEASE (ROLLBACK TO on a throw).
  const inSavepoint = db.transaction((fn: () => unknown) => fn());

  return {
    /** The meter a concentrator calls `address`, or undefined when none is registered. */
    meterByAddress(concentratorId: string, address: string): MeterRow | undefined {
      return meterByAddress.get(concentratorId, address) as MeterRow | undefined;
    },
    /** The id of the meter a concentrator calls `address`, or undefined when none is registered. */
    meterIdByAddress(concentratorId: string, address: string): string | undefined {
      return meterIdByAddress.get(concentratorId, address) as string | undefined;
    },
    /** The ids of the meters a concentrator calls by these addresses (absent: none registered), in one statement. */
    meterIdsByAddress(concentratorId: string, addresses: string[]): Map<string, string> {
      if (addresses.length === 1) {
        const id = meterIdByAddress.get(concentratorId, addresses[0]) as string | undefined;
        return new Map(id === undefined ? [] : [[addresses[0]!, id]]);
      }
      const rows = meterIdsByAddress.all(concentratorId, JSON.stringify(addresses)) as Array<{ address: string; id: string }>;
      return new Map(rows.map((r) => [r.address, r.id]));
    },
    /**
     * The meter directory's version: it changes whenever a meter is added or removed or its
     * address or concentrator changes (triggers on `meters`); NaN when the row is missing.
     */
    meterDirectoryVersion(): number {
      const version = directoryVersion.get();
      return version === undefined || version === null ? NaN : Number(version);
    },
    /** Records the relay state a reading showed, unless a newer observation is stored; true when it changed. */
    relayFromReading(meterId: string, state: 'open' | 'closed', ts: number): boolean {
      return relayFromReading.run({ id: meterId, state, ts }).changes === 1;
    },
    deadLetter(source: string, topic: string | null, payload: string, reason: string, at: number): number {
      return insertDeadLetter(source, topic, payload, reason, at);
    },
    /** Dead letters after a cursor (the last id seen), oldest first. */
    deadLetters(afterId: number, limit: number, source: string | null = null): DeadLetterRow[] {
      return deadLetterPage.all({ after: afterId, limit, source }) as DeadLetterRow[];
    },
    concentrator(id: string): ConcentratorRow | undefined {
      return concentratorById.get(id) as ConcentratorRow | undefined;
    },
    concentratorsWithStatus(status: string): ConcentratorRow[] {
      return concentratorsWithStatus.all(status) as ConcentratorRow[];
    },
    /** Stores a concentrator's status (creating the row when new). */
    setConcentratorStatus(id: string, status: 'online' | 'offline', at: number): void {
      upsertStatus.run({ id, status, at });
    },
    /** Marks the meters behind a concentrator stale (or fresh); returns how many changed. */
    setMetersStale(concentratorId: string, stale: boolean): number {
      return setStale.run({ id: concentratorId, stale: stale ? 1 : 0 }).changes;
    },
    /** Runs `fn` in a savepoint of the caller's transaction: a throw undoes only its own writes. */
    savepoint<T>(fn: () => T): T {
      return inSavepoint(fn) as T;
    },
  };
}

export type IngestRepository = ReturnType<typeof ingestRepository>;
