// Repository functions for meters and their readings.
import type { Database } from '../database.js';
import { jsonRows } from '../dialect.js';
import type { RelayState } from '../../domain/codes.js';

/** open, closed or unknown, each described in src/domain/codes.ts. */
export type { RelayState } from '../../domain/codes.js';

export interface MeterRow {
  id: string;
  accountId: string;
  protocol: string;
  busId: string | null;
  address: string;
  concentratorId: string | null;
  registerMap: string | null;
  edition: '2007' | '1997' | 'auto';
  supportsKeepPower: number;
  supportsDirectClose: number;
  relayState: RelayState;
  relayStateAt: number | null;
  lastReadingAt: number | null;
  lastEnergyWh: number | null;
  chargeBaseWh: number | null;
  chargedEnergyWh: number | null;
  /** JSON of the latest disagreement between per-tariff registers and the total (src/ledger/register-check.ts) */
  registerMismatch?: string | null;
  online: number;
  stale: number;
  createdAt: number;
  /** DL/T 645 reading profile; null: the bus's default, else the edition's */
  profile: string | null;
  /** 1 when the meter has 0x1C credentials of its own (the values are read only by credentialsOf) */
  ownCredentials: number;
}

/** DL/T 645 0x1C credentials stored for one meter; null fields fall back to the bus's. */
export interface MeterCredentials {
  passwordLevel: number | null;
  password: string | null;
  operatorCode: string | null;
}

export const METER_COLUMNS = `id, account_id AS "accountId", protocol, bus_id AS "busId", address, concentrator_id AS "concentratorId",
  register_map AS "registerMap", edition, supports_keep_power AS "supportsKeepPower", stale,
  supports_direct_close AS "supportsDirectClose", relay_state AS "relayState", relay_state_at AS "relayStateAt",
  last_reading_at AS "lastReadingAt", last_energy_wh AS "lastEnergyWh", charge_base_wh AS "chargeBaseWh",
  charged_energy_wh AS "chargedEnergyWh", register_mismatch AS "registerMismatch", online, created_at AS "createdAt", profile,
  CASE WHEN password_level IS NULL AND password IS NULL AND operator_code IS NULL THEN 0 ELSE 1 END AS "ownCredentials"`;

export interface NewMeter {
  id: string;
  accountId: string;
  protocol: string;
  busId: string | null;
  address: string;
  concentratorId?: string | null;
  registerMap?: string | null;
  edition?: '2007' | '1997' | 'auto';
  profile?: string | null;
  supportsKeepPower?: number;
  supportsDirectClose: number;
  createdAt: number;
}

export interface MeterFilter {
  accountId?: string | null;
  busId?: string | null;
  relayState?: RelayState | null;
  online?: boolean | null;
}

export type MeterPatch = Partial<Pick<MeterRow, 'busId' | 'address' | 'supportsDirectClose' | 'supportsKeepPower' | 'edition' | 'profile'>>;

export interface BusCollection {
  busId: string | null;
  meters: number;
  online: number;
}

export function metersRepository(db: Database) {
  const insert = db.prepare(`INSERT INTO meters (id, account_id, protocol, bus_id, address, concentrator_id, register_map, edition,
    profile, supports_keep_power, supports_direct_close, created_at)
    VALUES (@id, @accountId, @protocol, @busId, @address, @concentratorId, @registerMap, @edition, @profile, @supportsKeepPower,
    @supportsDirectClose, @createdAt)`);
  const credentials = db.prepare(`SELECT password_level AS "passwordLevel", password, operator_code AS "operatorCode" FROM meters WHERE id = ?`);
  const setCredentials = db.prepare(`UPDATE meters SET password_level = @passwordLevel, password = @password, operator_code = @operatorCode WHERE id = @id`);
  const byId = db.prepare(`SELECT ${METER_COLUMNS} FROM meters WHERE id = ?`);
  const byAccount = db.prepare(`SELECT ${METER_COLUMNS} FROM meters WHERE account_id = ? ORDER BY id`);
  const byBus = db.prepare(`SELECT ${METER_COLUMNS} FROM meters WHERE bus_id = ? ORDER BY address`);
  const setRelay = db.prepare(`UPDATE meters SET relay_state = ?, relay_state_at = ? WHERE id = ?`);
  const setMismatch = db.prepare(`UPDATE meters SET register_mismatch = ? WHERE id = ?`);
  const setOnline = db.prepare(`UPDATE meters SET online = ? WHERE id = ?`);
  const setLast = db.prepare(`UPDATE meters SET last_reading_at = ?, last_energy_wh = ?
    WHERE id = ? AND (last_reading_at IS NULL OR last_reading_at < ?)`);
  // The latest reading and the charging envelope in one write (the usual path of a new reading).
  const setLastAndCharge = db.prepare(`UPDATE meters SET
    last_energy_wh = CASE WHEN last_reading_at IS NULL OR last_reading_at < @ts THEN @energyWh ELSE last_energy_wh END,
    last_reading_at = CASE WHEN last_reading_at IS NULL OR last_reading_at < @ts THEN @ts ELSE last_reading_at END,
    charge_base_wh = @baseWh, charged_energy_wh = @chargedWh WHERE id = @id`);
  const insertReading = db.prepare(`INSERT INTO readings (meter_id, ts, energy_wh) VALUES (?, ?, ?)
    ON CONFLICT (meter_id, ts) DO NOTHING`);
  // A meter's readings in one statement on PostgreSQL (a round trip each); row by row on SQLite,
  // where that is cheaper (src/db/repo/pending.ts).
  const insertReadings = db.dialect === 'postgres' ? db.prepare(`INSERT INTO readings (meter_id, ts, energy_wh)
    SELECT ?, ts, energy_wh FROM ${jsonRows(db, '?', [['ts', 'bigint'], ['energy_wh', 'bigint']])} AS batch
    ON CONFLICT (meter_id, ts) DO NOTHING`) : null;
  const previousReading = db.prepare(`SELECT ts, energy_wh AS "energyWh" FROM readings WHERE meter_id = ? AND ts < ?
    ORDER BY ts DESC LIMIT 1`);
  const nextReading = db.prepare(`SELECT ts, energy_wh AS "energyWh" FROM readings WHERE meter_id = ? AND ts > ?
    ORDER BY ts ASC LIMIT 1`);
  const readingsPage = db.prepare(`SELECT ts, energy_wh AS "energyWh" FROM readings WHERE meter_id = ? AND ts >= ? AND ts < ?
    ORDER BY ts ASC LIMIT ?`);
  const page = db.prepare(`SELECT ${METER_COLUMNS} FROM meters WHERE id > @after
    AND (CAST(@accountId AS text) IS NULL OR account_id = @accountId) AND (CAST(@busId AS text) IS NULL OR bus_id = @busId)
    AND (CAST(@relayState AS text) IS NULL OR relay_state = @relayState) AND (CAST(@online AS integer) IS NULL OR online = @online)
    ORDER BY id LIMIT @limit`);
  const update = db.prepare(`UPDATE meters SET bus_id = @busId, address = @address, supports_direct_close = @supportsDirectClose,
    supports_keep_power = @supportsKeepPower, edition = @edition, profile = @profile WHERE id = @id`);
  const remove = db.prepare(`DELETE FROM meters WHERE id = ?`);
  // Pending readings count as readings: a meter is not deleted under readings it has yet to be charged for.
  const history = db.prepare(`SELECT (SELECT COUNT(*) FROM readings WHERE meter_id = @id)
      + (SELECT COUNT(*) FROM pending_readings WHERE meter_id = @id) AS readings,
    (SELECT COUNT(*) FROM commands WHERE meter_id = @id) AS commands,
    (SELECT COUNT(*) FROM ledger_entries WHERE meter_id = @id) AS "ledgerEntries"`);
  const byBusCounts = db.prepare(`SELECT bus_id AS "busId", COUNT(*) AS meters, SUM(online) AS online FROM meters
    WHERE concentrator_id IS NULL GROUP BY bus_id ORDER BY bus_id`);
  const byConcentrator = db.prepare(`SELECT c.id AS id, c.status AS status, c.status_at AS "statusAt",
    COUNT(m.id) AS meters, COALESCE(SUM(m.online), 0) AS online, COALESCE(SUM(m.stale), 0) AS stale
    FROM concentrators c LEFT JOIN meters m ON m.concentrator_id = c.id GROUP BY c.id ORDER BY c.id`);

  return {
    insert(meter: NewMeter): void {
      insert.run({ concentratorId: null, registerMap: null, edition: '2007', profile: null, supportsKeepPower: 1, ...meter });
    },
    get(id: string): MeterRow | undefined {
      return byId.get(id) as MeterRow | undefined;
    },
    forAccount(accountId: string): MeterRow[] {
      return byAccount.all(accountId) as MeterRow[];
    },
    onBus(busId: string): MeterRow[] {
      return byBus.all(busId) as MeterRow[];
    },
    setRelayState(id: string, state: RelayState, at: number): void {
      setRelay.run(state, at, id);
    },
    /** Keeps the latest register mismatch (JSON) on the meter. */
    setRegisterMismatch(id: string, mismatch: string): void {
      setMismatch.run(mismatch, id);
    },
    setOnline(id: string, online: boolean): void {
      setOnline.run(online ? 1 : 0, id);
    },
    /**
     * Stores a reading once; returns false when (meter, ts) was already stored. With `charged`,
     * a stored reading also sets the meter's charging envelope (base and highest register charged), in the same write.
     */
    insertReading(meterId: string, ts: number, energyWh: number, charged?: { baseWh: number; chargedWh: number }): boolean {
      const inserted = insertReading.run(meterId, ts, energyWh).changes === 1;
      if (!inserted) return false;
      if (charged) setLastAndCharge.run({ id: meterId, ts, energyWh, baseWh: charged.baseWh, chargedWh: charged.chargedWh });
      else setLast.run(ts, energyWh, meterId, ts);
      return true;
    },
    /**
     * Stores readings that are all later than the meter's latest, in time order, and sets the
     * latest reading and the charging envelope once; returns how many were stored.
     */
    appendReadings(meterId: string, readings: Array<{ ts: number; energyWh: number }>, charged: { baseWh: number; chargedWh: number }): number {
      let stored = 0;
      if (insertReadings) stored = insertReadings.run(meterId, JSON.stringify(readings.map((r) => [r.ts, r.energyWh]))).changes;
      else for (const r of readings) stored += insertReading.run(meterId, r.ts, r.energyWh).changes;
      const last = readings[readings.length - 1]!;
      setLastAndCharge.run({ id: meterId, ts: last.ts, energyWh: last.energyWh, baseWh: charged.baseWh, chargedWh: charged.chargedWh });
      return stored;
    },
    neighbours(meterId: string, ts: number): { previous?: { ts: number; energyWh: number }; next?: { ts: number; energyWh: number } } {
      return {
        previous: previousReading.get(meterId, ts) as { ts: number; energyWh: number } | undefined,
        next: nextReading.get(meterId, ts) as { ts: number; energyWh: number } | undefined,
      };
    },
    readings(meterId: string, from: number, to: number, limit: number): Array<{ ts: number; energyWh: number }> {
      return readingsPage.all(meterId, from, to, limit) as Array<{ ts: number; energyWh: number }>;
    },
    /** Keyset pagination over meter ids with optional filters. */
    list(filter: MeterFilter, afterId: string, limit: number): MeterRow[] {
      return page.all({
        after: afterId, limit, accountId: filter.accountId ?? null, busId: filter.busId ?? null, relayState: filter.relayState ?? null,
        online: filter.online === undefined || filter.online === null ? null : filter.online ? 1 : 0,
      }) as MeterRow[];
    },
    update(id: string, patch: MeterPatch): void {
      const current = byId.get(id) as MeterRow | undefined;
      if (!current) return;
      const { busId, address, supportsDirectClose, supportsKeepPower, edition, profile } = { ...current, ...patch };
      update.run({ busId, address, supportsDirectClose, supportsKeepPower, edition, profile, id });
    },
    /** The meter's own 0x1C credentials (for the relay executor only: never shown, never logged). */
    credentialsOf(id: string): MeterCredentials | undefined {
      return credentials.get(id) as MeterCredentials | undefined;
    },
    setCredentials(id: string, c: MeterCredentials): void {
      setCredentials.run({ id, ...c });
    },
    delete(id: string): boolean {
      return remove.run(id).changes === 1;
    },
    /** What a meter has accumulated; a meter with any history is kept. */
    history(id: string): { readings: number; commands: number; ledgerEntries: number } {
      return history.get({ id }) as { readings: number; commands: number; ledgerEntries: number };
    },
    /** Meters and online meters per bus (meters behind concentrators excluded). */
    countsByBus(): BusCollection[] {
      return byBusCounts.all() as BusCollection[];
    },
    concentrators(): Array<{ id: string; status: string; statusAt: number | null; meters: number; online: number; stale: number }> {
      return byConcentrator.all() as Array<{ id: string; status: string; statusAt: number | null; meters: number; online: number; stale: number }>;
    },
  };
}

export type MetersRepository = ReturnType<typeof metersRepository>;
