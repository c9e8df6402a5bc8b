// Repository functions for tariffs, their assignment to accounts over time, the per-tariff
// (time-of-use) registers of readings, and the register lookups consumption charging needs.
import type { Database } from '../database.js';

export interface TariffRow {
  id: string;
  name: string;
  definition: string;
  createdAt: number;
}

export interface AssignmentRow {
  accountId: string;
  effectiveFrom: number;
  tariffId: string;
  definition: string;
  actor: string;
  createdAt: number;
}

/** A reading's per-tariff registers (Wh); null where the meter does not report the band. */
export interface TouRow {
  ts: number;
  criticalWh: number | null;
  peakWh: number | null;
  flatWh: number | null;
  valleyWh: number | null;
}

const TOU_COLUMNS = `ts, critical_wh AS "criticalWh", peak_wh AS "peakWh", flat_wh AS "flatWh", valley_wh AS "valleyWh"`;

/** What lies around an instant: the row at or before it, and the row after it. */
export interface Around<T> {
  before?: T;
  after?: T;
}

function split<T extends { ts: number }>(rows: T[], ts: number): Around<T> {
  const out: Around<T> = {};
  for (const row of rows) {
    if (row.ts <= ts) out.before = row;
    else out.after = row;
  }
  return out;
}

export function tariffsRepository(db: Database) {
  const insert = db.prepare(`INSERT INTO tariffs (id, name, definition, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`);
  const byId = db.prepare(`SELECT id, name, definition, created_at AS "createdAt" FROM tariffs WHERE id = ?`);
  const all = db.prepare(`SELECT id, name, definition, created_at AS "createdAt" FROM tariffs ORDER BY id`);
  const assignmentsOf = db.prepare(`SELECT a.account_id AS "accountId", a.effective_from AS "effectiveFrom", a.tariff_id AS "tariffId",
    t.definition, a.actor, a.created_at AS "createdAt"
    FROM tariff_assignments a JOIN tariffs t ON t.id = a.tariff_id WHERE a.account_id = ? ORDER BY a.effective_from`);
  const insertAssignment = db.prepare(`INSERT INTO tariff_assignments (account_id, effective_from, tariff_id, actor, created_at)
    VALUES (?, ?, ?, ?, ?)`);
  const latestReadingOfAccount = db.prepare(`SELECT MAX(last_reading_at) FROM meters WHERE account_id = ?`).pluck();
  const readingBefore = db.prepare(`SELECT energy_wh FROM readings WHERE meter_id = ? AND ts < ? ORDER BY ts DESC LIMIT 1`).pluck();
  const insertTou = db.prepare(`INSERT INTO tou_readings (meter_id, ts, critical_wh, peak_wh, flat_wh, valley_wh)
    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (meter_id, ts) DO NOTHING`);
  const touBefore = db.prepare(`SELECT ${TOU_COLUMNS} FROM tou_readings WHERE meter_id = ? AND ts < ? ORDER BY ts DESC LIMIT 1`);
  const touAfter = db.prepare(`SELECT ${TOU_COLUMNS} FROM tou_readings WHERE meter_id = ? AND ts > ? ORDER BY ts ASC LIMIT 1`);
  // The readings around an instant: the latest at or before it and the earliest after it, in one statement.
  const around = db.prepare(`SELECT ts, energy_wh AS "energyWh" FROM (SELECT ts, energy_wh FROM readings WHERE meter_id = ? AND ts <= ?
      ORDER BY ts DESC LIMIT 1) AS b
    UNION ALL SELECT ts, energy_wh AS "energyWh" FROM (SELECT ts, energy_wh FROM readings WHERE meter_id = ? AND ts > ?
      ORDER BY ts ASC LIMIT 1) AS a`);
  const touAround = db.prepare(`SELECT * FROM (SELECT ${TOU_COLUMNS} FROM tou_readings WHERE meter_id = ? AND ts <= ? ORDER BY ts DESC LIMIT 1) AS b
    UNION ALL SELECT * FROM (SELECT ${TOU_COLUMNS} FROM tou_readings WHERE meter_id = ? AND ts > ? ORDER BY ts ASC LIMIT 1) AS a`);
  const readingAt = db.prepare(`SELECT energy_wh FROM readings WHERE meter_id = ? AND ts = ?`).pluck();
  const firstReading = db.prepare(`SELECT ts, energy_wh AS "energyWh" FROM readings WHERE meter_id = ? ORDER BY ts ASC LIMIT 1`);
  const touFirst = db.prepare(`SELECT ${TOU_COLUMNS} FROM tou_readings WHERE meter_id = ? ORDER BY ts ASC LIMIT 1`);

  return {
    insert(id: string, name: string, definition: string, at: number): boolean {
      return insert.run(id, name, definition, at).changes === 1;
    },
    get(id: string): TariffRow | undefined {
      return byId.get(id) as TariffRow | undefined;
    },
    list(): TariffRow[] {
      return all.all() as TariffRow[];
    },
    /** The account's tariff changes, oldest first (its initial tariff is on the account row). */
    assignments(accountId: string): AssignmentRow[] {
      return assignmentsOf.all(accountId) as AssignmentRow[];
    },
    insertAssignment(accountId: string, effectiveFrom: number, tariffId: string, actor: string, at: number): void {
      insertAssignment.run(accountId, effectiveFrom, tariffId, actor, at);
    },
    /** The latest reading time over the account's meters (null without readings). */
    latestReadingAt(accountId: string): number | null {
      return (latestReadingOfAccount.get(accountId) as number | null) ?? null;
    },
    /** Register value of the meter's latest reading strictly before `ts`. */
    readingBefore(meterId: string, ts: number): number | undefined {
      return readingBefore.get(meterId, ts) as number | undefined;
    },
    /** The meter's readings around `ts`: the latest at or before it, and the earliest after it. */
    around(meterId: string, ts: number): Around<{ ts: number; energyWh: number }> {
      return split(around.all(meterId, ts, meterId, ts) as Array<{ ts: number; energyWh: number }>, ts);
    },
    /** The meter's per-tariff registers around `ts`, as `around`. */
    touAround(meterId: string, ts: number): Around<TouRow> {
      return split(touAround.all(meterId, ts, meterId, ts) as TouRow[], ts);
    },
    /** The register of the meter's reading at exactly `ts`. */
    readingAt(meterId: string, ts: number): number | undefined {
      return readingAt.get(meterId, ts) as number | undefined;
    },
    /** The meter's earliest reading. */
    firstReading(meterId: string): { ts: number; energyWh: number } | undefined {
      return firstReading.get(meterId) as { ts: number; energyWh: number } | undefined;
    },
    /** Stores a reading's per-tariff registers once per (meter, time); true when stored. */
    insertTou(meterId: string, row: TouRow): boolean {
      return insertTou.run(meterId, row.ts, row.criticalWh, row.peakWh, row.flatWh, row.valleyWh).changes === 1;
    },
    touBefore(meterId: string, ts: number): TouRow | undefined {
      return touBefore.get(meterId, ts) as TouRow | undefined;
    },
    touAfter(meterId: string, ts: number): TouRow | undefined {
      return touAfter.get(meterId, ts) as TouRow | undefined;
    },
    /** The meter's earliest per-tariff registers (undefined: the meter never reported any). */
    touFirst(meterId: string): TouRow | undefined {
      return touFirst.get(meterId) as TouRow | undefined;
    },
  };
}

export type TariffsRepository = ReturnType<typeof tariffsRepository>;
