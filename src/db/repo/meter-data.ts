// Repository functions for what a meter answers beside its energy register: each data
// identifier's last answer and misses, live values (latest plus a bounded history), and daily
// frozen readings.
import type { Database } from '../database.js';

export interface DataIdentifierRow {
  di: string;
  answeredAt: number | null;
  lastValue: string | null;
  misses: number;
  missedAt: number | null;
  missReason: string | null;
}

export interface MeterValueRow {
  quantity: string;
  ts: number;
  value: number;
}

export interface FrozenReadingRow {
  meterId: string;
  day: string;
  frozenAt: number;
  energyWh: number;
  readAt: number;
}

export function meterDataRepository(db: Database) {
  const answered = db.prepare(`INSERT INTO meter_data_identifiers (meter_id, di, answered_at, last_value, misses)
    VALUES (@meterId, @di, @at, @value, 0)
    ON CONFLICT (meter_id, di) DO UPDATE SET answered_at = excluded.answered_at, last_value = excluded.last_value`);
  const missed = db.prepare(`INSERT INTO meter_data_identifiers (meter_id, di, misses, missed_at, miss_reason)
    VALUES (@meterId, @di, 1, @at, @reason)
    ON CONFLICT (meter_id, di) DO UPDATE SET misses = meter_data_identifiers.misses + 1, missed_at = excluded.missed_at,
    miss_reason = excluded.miss_reason`);
  const dis = db.prepare(`SELECT di, answered_at AS "answeredAt", last_value AS "lastValue", misses, missed_at AS "missedAt",
    miss_reason AS "missReason" FROM meter_data_identifiers WHERE meter_id = ? ORDER BY di`);
  const addValue = db.prepare(`INSERT INTO meter_values (meter_id, quantity, ts, value) VALUES (?, ?, ?, ?)
    ON CONFLICT (meter_id, quantity, ts) DO UPDATE SET value = excluded.value`);
  // Keeps the newest `kept` values of one quantity: the older ones go.
  const prune = db.prepare(`DELETE FROM meter_values WHERE meter_id = @meterId AND quantity = @quantity AND ts < (
    SELECT ts FROM meter_values WHERE meter_id = @meterId AND quantity = @quantity ORDER BY ts DESC LIMIT 1 OFFSET @offset)`);
  const latest = db.prepare(`SELECT v.quantity, v.ts, v.value FROM meter_values v WHERE v.meter_id = ?
    AND v.ts = (SELECT MAX(w.ts) FROM meter_values w WHERE w.meter_id = v.meter_id AND w.quantity = v.quantity) ORDER BY v.quantity`);
  const history = db.prepare(`SELECT quantity, ts, value FROM meter_values WHERE meter_id = ? AND ts >= ? AND ts < ?
    ORDER BY ts, quantity LIMIT ?`);
  const addFrozen = db.prepare(`INSERT INTO frozen_readings (meter_id, day, frozen_at, energy_wh, read_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (meter_id, day) DO NOTHING`);
  const lastFrozen = db.prepare(`SELECT meter_id AS "meterId", day, frozen_at AS "frozenAt", energy_wh AS "energyWh", read_at AS "readAt"
    FROM frozen_readings WHERE meter_id = ? ORDER BY day DESC LIMIT 1`);
  const frozenOf = db.prepare(`SELECT meter_id AS "meterId", day, frozen_at AS "frozenAt", energy_wh AS "energyWh", read_at AS "readAt"
    FROM frozen_readings WHERE meter_id = ? AND day >= ? AND day <= ? ORDER BY day`);
  const frozenOnDay = db.prepare(`SELECT meter_id AS "meterId" FROM frozen_readings WHERE day = ?`);
  const allMeters = db.prepare(`SELECT id, bus_id AS "busId", concentrator_id AS "concentratorId" FROM meters ORDER BY id`);
  const readingIn = db.prepare(`SELECT 1 FROM readings WHERE meter_id = ? AND ts >= ? AND ts < ? LIMIT 1`).pluck();

  return {
    answered(meterId: string, di: string, at: number, value: string | null): void {
      answered.run({ meterId, di, at, value });
    },
    missed(meterId: string, di: string, at: number, reason: string): void {
      missed.run({ meterId, di, at, reason });
    },
    dataIdentifiers(meterId: string): DataIdentifierRow[] {
      return dis.all(meterId) as DataIdentifierRow[];
    },
    /** Adds live values taken at `ts` (stored integers) and keeps the newest `kept` of each quantity. */
    addValues(meterId: string, ts: number, values: ReadonlyArray<{ quantity: string; stored: number }>, kept: number): void {
      for (const v of values) {
        addValue.run(meterId, v.quantity, ts, v.stored);
        prune.run({ meterId, quantity: v.quantity, offset: kept - 1 });
      }
    },
    latestValues(meterId: string): MeterValueRow[] {
      return latest.all(meterId) as MeterValueRow[];
    },
    values(meterId: string, from: number, to: number, limit: number): MeterValueRow[] {
      return history.all(meterId, from, to, limit) as MeterValueRow[];
    },
    /** Stores a frozen reading once per (meter, day); returns false when that day was already stored. */
    addFrozen(row: FrozenReadingRow): boolean {
      return addFrozen.run(row.meterId, row.day, row.frozenAt, row.energyWh, row.readAt).changes === 1;
    },
    lastFrozen(meterId: string): FrozenReadingRow | undefined {
      return lastFrozen.get(meterId) as FrozenReadingRow | undefined;
    },
    frozen(meterId: string, fromDay: string, toDay: string): FrozenReadingRow[] {
      return frozenOf.all(meterId, fromDay, toDay) as FrozenReadingRow[];
    },
    /**
     * Every meter and whether it has its reading of a local day: a daily freeze of that day, or
     * else a reading within it (meters without freezes, concentrator meters).
     */
    dayCompleteness(day: string, from: number, to: number): Array<{ id: string; busId: string | null; concentratorId: string | null; complete: boolean }> {
      const frozen = new Set((frozenOnDay.all(day) as Array<{ meterId: string }>).map((r) => r.meterId));
      return (allMeters.all() as Array<{ id: string; busId: string | null; concentratorId: string | null }>).map((m) => ({
        ...m, complete: frozen.has(m.id) || readingIn.get(m.id, from, to) !== undefined,
      }));
    },
    /** Meters with a frozen reading of `day`. */
    frozenOnDay(day: string): Set<string> {
      return new Set((frozenOnDay.all(day) as Array<{ meterId: string }>).map((r) => r.meterId));
    },
  };
}

export type MeterDataRepository = ReturnType<typeof meterDataRepository>;
