// The database schema, in TypeScript; drizzle-kit generates the SQL in migrations/ from it
//. Money columns are integer fen, energy columns integer Wh, times integer
// milliseconds since the epoch (UTC). Kept portable: no SQLite-only types beyond INTEGER/TEXT.
import { sql } from 'drizzle-orm';
import { sqliteTable, text, integer, primaryKey, index, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const tariffs = sqliteTable('tariffs', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** JSON definition of the tariff (kind and prices); see src/domain/tariff.ts */
  definition: text('definition').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const accounts = sqliteTable('accounts', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  category: text('category').notNull().default('residential'),
  creditGrade: text('credit_grade').notNull().default('B'),
  protected: integer('protected').notNull().default(0),
  tariffId: text('tariff_id').notNull().references(() => tariffs.id),
  /** Cached sum of the account's ledger entries, updated in the same transaction as each entry. */
  balanceFen: integer('balance_fen').notNull().default(0),
  alarmLevel1Fen: integer('alarm_level1_fen').notNull(),
  alarmLevel2Fen: integer('alarm_level2_fen').notNull(),
  cutoffLevelFen: integer('cutoff_level_fen').notNull(),
  restoreLevelFen: integer('restore_level_fen').notNull(),
  /** Highest alarm level currently raised (0, 1, 2); re-armed when the balance goes back up. */
  alarmState: integer('alarm_state').notNull().default(0),
  alarm2At: integer('alarm2_at'),
  /** When a manual-review item was raised for this account's current arrears; cleared on restore. */
  reviewAt: integer('review_at'),
  /** JSON overrides of the levels, each in money or in days of supply, e.g. {"alarmLevel1":{"days":3}} */
  levelOverrides: text('level_overrides'),
  /** When the levels were last derived from their inputs; null on a row from before levels were derived (its money levels are taken as the account's own on the first derivation). */
  levelsDerivedAt: integer('levels_derived_at'),
  /** Emergency credit taken and not yet repaid, fen (0 = none outstanding). */
  emergencyCreditFen: integer('emergency_credit_fen').notNull().default(0),
  lastPaymentAt: integer('last_payment_at'),
  createdAt: integer('created_at').notNull(),
  /**
   * The migration that imported the account, while it holds the account's alarms and the engine
   * (until an operator releases it); null otherwise (src/migration-hold.ts).
   */
  migration: text('migration'),
}, (t) => [index('accounts_migration').on(t.migration)]);

export const meters = sqliteTable('meters', {
  id: text('id').primaryKey(),
  accountId: text('account_id').notNull().references(() => accounts.id),
  /** 'dlt645' | 'modbus-rtu' | 'modbus-tcp' | 'mqtt' */
  protocol: text('protocol').notNull(),
  busId: text('bus_id'),
  /** DL/T 645: 12 BCD digits; Modbus: unit id; concentrator: the meter id the concentrator uses */
  address: text('address').notNull(),
  concentratorId: text('concentrator_id'),
  /** Modbus register map name (see registermaps/) */
  registerMap: text('register_map'),
  /** DL/T 645 edition spoken by the meter: '2007', '1997', or 'auto' (2007 with fallback to 1997) */
  edition: text('edition').notNull().default('2007'),
  supportsKeepPower: integer('supports_keep_power').notNull().default(1),
  supportsDirectClose: integer('supports_direct_close').notNull().default(1),
  relayState: text('relay_state').notNull().default('unknown'),
  relayStateAt: integer('relay_state_at'),
  lastReadingAt: integer('last_reading_at'),
  lastEnergyWh: integer('last_energy_wh'),
  /** Register value at which charging started (the meter's first reading). */
  chargeBaseWh: integer('charge_base_wh'),
  /** Cumulative energy already charged (the highest register value seen). */
  chargedEnergyWh: integer('charged_energy_wh'),
  /** JSON of the latest disagreement between the per-tariff registers and the total register (docs/charging.md) */
  registerMismatch: text('register_mismatch'),
  online: integer('online').notNull().default(1),
  /** readings are stale (its concentrator is offline) */
  stale: integer('stale').notNull().default(0),
  /** DL/T 645 reading profile (profiles/<name>.json); null: the bus's default, else the edition's */
  profile: text('profile'),
  /** DL/T 645 0x1C credentials of this meter; null: the bus's (never shown by the API, never logged) */
  passwordLevel: integer('password_level'),
  password: text('password'),
  operatorCode: text('operator_code'),
  createdAt: integer('created_at').notNull(),
}, (t) => [
  uniqueIndex('meters_bus_address').on(t.busId, t.address),
  uniqueIndex('meters_concentrator_address').on(t.concentratorId, t.address),
  index('meters_account').on(t.accountId),
]);

/**
 * One row per (meter, time). The generated migration is edited to make this table (and
 * tou_readings) WITHOUT ROWID: the primary key is the table, so a reading is stored once, not in a
 * table plus an index (≈ 32 instead of ≈ 63 bytes a reading). drizzle-kit cannot express it.
 */
export const readings = sqliteTable('readings', {
  meterId: text('meter_id').notNull(),
  ts: integer('ts').notNull(),
  energyWh: integer('energy_wh').notNull(),
}, (t) => [primaryKey({ columns: [t.meterId, t.ts] })]);

/** Per-tariff (time-of-use) registers of a reading, where the meter has them. */
export const touReadings = sqliteTable('tou_readings', {
  meterId: text('meter_id').notNull(),
  ts: integer('ts').notNull(),
  peakWh: integer('peak_wh'),
  flatWh: integer('flat_wh'),
  valleyWh: integer('valley_wh'),
  criticalWh: integer('critical_wh'),
}, (t) => [primaryKey({ columns: [t.meterId, t.ts] })]);

/** Which tariff applies to an account from when; a change takes effect without re-charging the past. */
export const tariffAssignments = sqliteTable('tariff_assignments', {
  accountId: text('account_id').notNull().references(() => accounts.id),
  effectiveFrom: integer('effective_from').notNull(),
  tariffId: text('tariff_id').notNull().references(() => tariffs.id),
  actor: text('actor').notNull(),
  createdAt: integer('created_at').notNull(),
}, (t) => [primaryKey({ columns: [t.accountId, t.effectiveFrom] })]);

export const ledgerEntries = sqliteTable('ledger_entries', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  accountId: text('account_id').notNull().references(() => accounts.id),
  kind: text('kind').notNull(),
  amountFen: integer('amount_fen').notNull(),
  balanceAfterFen: integer('balance_after_fen').notNull(),
  paymentId: text('payment_id'),
  meterId: text('meter_id'),
  energyWh: integer('energy_wh'),
  /** consumption: the reading interval charged [from, to] (ms) */
  intervalFrom: integer('interval_from'),
  intervalTo: integer('interval_to'),
  /** consumption: JSON array of the parts charged (period, tier or band, tariff, price, energy, amount, basis); docs/charging.md */
  breakdown: text('breakdown'),
  reason: text('reason'),
  actor: text('actor').notNull(),
  createdAt: integer('created_at').notNull(),
}, (t) => [index('ledger_account').on(t.accountId, t.id)]);

export const payments = sqliteTable('payments', {
  id: text('id').primaryKey(),
  channel: text('channel').notNull(),
  channelTxnId: text('channel_txn_id').notNull(),
  accountId: text('account_id').notNull().references(() => accounts.id),
  amountFen: integer('amount_fen').notNull(),
  paidAt: integer('paid_at').notNull(),
  actor: text('actor').notNull(),
  createdAt: integer('created_at').notNull(),
  reversedAt: integer('reversed_at'),
}, (t) => [
  uniqueIndex('payments_channel_txn').on(t.channel, t.channelTxnId),
  index('payments_account').on(t.accountId),
]);

export const commands = sqliteTable('commands', {
  id: text('id').primaryKey(),
  meterId: text('meter_id').notNull().references(() => meters.id),
  action: text('action').notNull(),
  state: text('state').notNull(),
  origin: text('origin').notNull(),
  actor: text('actor').notNull(),
  reason: text('reason').notNull(),
  attempts: integer('attempts').notNull().default(0),
  outcome: text('outcome'),
  lastError: text('last_error'),
  /** the error of an earlier attempt, kept apart once a new attempt starts or the command is confirmed */
  lastAttemptError: text('last_attempt_error'),
  createdAt: integer('created_at').notNull(),
  sentAt: integer('sent_at'),
  finishedAt: integer('finished_at'),
  expiresAt: integer('expires_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
  /** the bulk operation this command belongs to, if any */
  bulkId: text('bulk_id'),
  /** what made it due, when that came before it (the payment of a restore): its latency counts from here */
  triggerAt: integer('trigger_at'),
}, (t) => [
  index('commands_bulk').on(t.bulkId),
  // Never two commands in flight for one meter.
  uniqueIndex('commands_one_active_per_meter').on(t.meterId).where(sql`state in ('queued', 'sent')`),
  index('commands_meter').on(t.meterId, t.createdAt),
  index('commands_state').on(t.state),
]);

export const events = sqliteTable('events', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  type: text('type').notNull(),
  accountId: text('account_id'),
  meterId: text('meter_id'),
  data: text('data').notNull(),
  createdAt: integer('created_at').notNull(),
}, (t) => [index('events_account').on(t.accountId, t.id)]);

export const audit = sqliteTable('audit', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  target: text('target').notNull(),
  detail: text('detail').notNull(),
  at: integer('at').notNull(),
}, (t) => [
  index('audit_target').on(t.target, t.id),
  index('audit_actor').on(t.actor, t.id),
]);

export const apiKeys = sqliteTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  role: text('role').notNull(),
  /** SHA-256 of the secret; the secret itself is shown once at creation and never stored. */
  secretHash: text('secret_hash').notNull(),
  createdAt: integer('created_at').notNull(),
  revokedAt: integer('revoked_at'),
}, (t) => [uniqueIndex('api_keys_hash').on(t.secretHash)]);

/** Keep-power (保电) and manual-off holds, on a meter or an account, with actor, reason and expiry. */
export const holds = sqliteTable('holds', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(),
  scope: text('scope').notNull(),
  targetId: text('target_id').notNull(),
  actor: text('actor').notNull(),
  reason: text('reason').notNull(),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at'),
  releasedAt: integer('released_at'),
  releasedBy: text('released_by'),
}, (t) => [
  index('holds_target').on(t.scope, t.targetId),
  index('holds_in_force').on(t.releasedAt, t.expiresAt),
]);

/** Items an operator must look at: a protected customer at the cut-off level, a flapping relay, a relay fault. */
export const reviewItems = sqliteTable('review_items', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  kind: text('kind').notNull(),
  accountId: text('account_id'),
  meterId: text('meter_id'),
  reason: text('reason').notNull(),
  createdAt: integer('created_at').notNull(),
  resolvedAt: integer('resolved_at'),
  resolvedBy: text('resolved_by'),
  resolution: text('resolution'),
}, (t) => [index('review_open').on(t.resolvedAt, t.id)]);

/** Operator bulk disconnect / reconnect: progress and per-meter results live on its commands and skips. */
export const bulkOperations = sqliteTable('bulk_operations', {
  id: text('id').primaryKey(),
  action: text('action').notNull(),
  actor: text('actor').notNull(),
  reason: text('reason').notNull(),
  state: text('state').notNull(),
  total: integer('total').notNull(),
  /** JSON array of {meterId, skipped: reason} for meters the operation left alone */
  skipped: text('skipped').notNull().default('[]'),
  createdAt: integer('created_at').notNull(),
  finishedAt: integer('finished_at'),
});

/**
 * Readings committed by the concentrator ingest and not yet charged: the ingest acknowledges a
 * message once its readings are here, and charging (src/ledger/pending-charging.ts) moves them into
 * `readings` and the ledger, many readings of a meter at a time. Appended to in arrival order and
 * emptied as readings are charged; ids are never used again (AUTOINCREMENT), so an id names one
 * reading for good. `tou` is the per-tariff registers as JSON.
 */
export const pendingReadings = sqliteTable('pending_readings', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  meterId: text('meter_id').notNull(),
  ts: integer('ts').notNull(),
  energyWh: integer('energy_wh').notNull(),
  relay: text('relay'),
  tou: text('tou'),
  receivedAt: integer('received_at').notNull(),
});

/**
 * One row: a number that changes whenever a meter is added or removed or its address or
 * concentrator changes. Triggers on `meters` count it up (the migration adds them; drizzle-kit
 * cannot express triggers), so every writer, in any daemon, moves it. The concentrator ingest
 * keeps meters' ids by address in memory while it stays the same (src/mqtt/meter-directory.ts).
 */
export const meterDirectory = sqliteTable('meter_directory', {
  id: integer('id').primaryKey(),
  version: integer('version').notNull(),
});

/** Messages that could not be ingested, kept for inspection. */
export const deadLetters = sqliteTable('dead_letters', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  source: text('source').notNull(),
  topic: text('topic'),
  payload: text('payload').notNull(),
  reason: text('reason').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const concentrators = sqliteTable('concentrators', {
  id: text('id').primaryKey(),
  status: text('status').notNull().default('unknown'),
  statusAt: integer('status_at'),
  createdAt: integer('created_at').notNull(),
});

/**
 * MQTT credentials of concentrators: the user name is the concentrator id; the password is a
 * random secret shown once at creation and stored only as a PBKDF2-SHA512 hash in Mosquitto's
 * `$7$` format (src/mqtt/password-hash.ts), so the same row serves the embedded broker and a
 * generated Mosquitto password file. At most one active credential per concentrator.
 */
export const mqttCredentials = sqliteTable('mqtt_credentials', {
  id: text('id').primaryKey(),
  concentratorId: text('concentrator_id').notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: integer('created_at').notNull(),
  revokedAt: integer('revoked_at'),
}, (t) => [
  uniqueIndex('mqtt_credentials_one_active').on(t.concentratorId).where(sql`revoked_at IS NULL`),
  index('mqtt_credentials_revoked').on(t.revokedAt),
]);

export const webhooks = sqliteTable('webhooks', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  /** HMAC-SHA256 key for the X-Feikong-Signature header */
  secret: text('secret').notNull(),
  /** JSON array of event types, or ["*"] */
  eventTypes: text('event_types').notNull(),
  active: integer('active').notNull().default(1),
  createdAt: integer('created_at').notNull(),
  /** the secret before the last rotation: deliveries carry a second signature with it until previousSecretUntil */
  previousSecret: text('previous_secret'),
  previousSecretUntil: integer('previous_secret_until'),
  /** set while the subscriber is paused (a delivery failed for good); nothing is sent to it until resumed */
  pausedAt: integer('paused_at'),
  /** when a paused subscriber resumes by itself (the cool-off) */
  pausedUntil: integer('paused_until'),
  pauseReason: text('pause_reason'),
});

export const webhookDeliveries = sqliteTable('webhook_deliveries', {
  webhookId: text('webhook_id').notNull().references(() => webhooks.id),
  eventId: integer('event_id').notNull(),
  state: text('state').notNull(),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: integer('next_attempt_at').notNull(),
  lastStatus: integer('last_status'),
  lastError: text('last_error'),
  updatedAt: integer('updated_at').notNull(),
}, (t) => [
  primaryKey({ columns: [t.webhookId, t.eventId] }),
  index('webhook_due').on(t.state, t.nextAttemptAt),
  /** a subscriber's oldest pending delivery: its queue's head, delivered in event order */
  index('webhook_head').on(t.webhookId, t.state, t.eventId),
]);

/** Where each webhook's outbox reading stands (the highest event id already turned into deliveries). */
export const outboxCursors = sqliteTable('outbox_cursors', {
  name: text('name').primaryKey(),
  lastEventId: integer('last_event_id').notNull(),
});

/**
 * Which daemon owns each bus (RS-485 line, DTU, Modbus TCP endpoint): polling and relay commands
 * on a bus run only in its owner. A lease is taken when free, expired or already the taker's, and
 * renewed before it expires; `epoch` counts changes of owner (a fencing counter).
 */
export const busLeases = sqliteTable('bus_leases', {
  busId: text('bus_id').primaryKey(),
  /** cluster.nodeId of the daemon holding (or last holding) the lease */
  nodeId: text('node_id').notNull(),
  /** the lease is free from this time on (ms since the epoch, the renewing daemon's clock) */
  expiresAt: integer('expires_at').notNull(),
  epoch: integer('epoch').notNull(),
  /** when the current owner took the lease */
  acquiredAt: integer('acquired_at').notNull(),
});

/**
 * A CSV import of accounts or meters (src/fleet-import.ts): committed in chunks of rows, each
 * chunk with its progress, so a job that stopped part-way is resumed from the row after the last
 * committed one. `fingerprint` is the SHA-256 of the file: a resume must be given the same file.
 */
export const importJobs = sqliteTable('import_jobs', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(),
  /** 'create' | 'upsert' */
  mode: text('mode').notNull(),
  dryRun: integer('dry_run').notNull().default(0),
  /** 'running' | 'done' | 'failed' */
  state: text('state').notNull(),
  actor: text('actor').notNull(),
  migration: text('migration'),
  encoding: text('encoding'),
  /** what was imported: a file name, or 'upload' */
  source: text('source').notNull(),
  fingerprint: text('fingerprint').notNull(),
  /** data rows in the file (known once the file has been read through) */
  rows: integer('rows'),
  /** the last spreadsheet row committed (the header is row 1) */
  rowDone: integer('row_done').notNull().default(1),
  created: integer('created').notNull().default(0),
  updated: integer('updated').notNull().default(0),
  unchanged: integer('unchanged').notNull().default(0),
  refused: integer('refused').notNull().default(0),
  /** JSON array of the first row errors (at most a configured number) */
  errors: text('errors').notNull().default('[]'),
  /** why a failed job stopped */
  message: text('message'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
  finishedAt: integer('finished_at'),
});

/**
 * Official holiday schedules entered by operators (API, CLI, configuration file), one per year:
 * the public holidays and make-up workdays (调休) of the no-cut calendar, ahead of the library's
 * and of derived ones (src/domain/holiday-calendar.ts). `schedule` is the checked JSON
 * {holidays: [{name, from, to}], makeUpWorkdays: [{date, name?}]}.
 */
export const holidaySchedules = sqliteTable('holiday_schedules', {
  year: integer('year').primaryKey(),
  schedule: text('schedule').notNull(),
  /** where it was entered: api, cli or config */
  origin: text('origin').notNull(),
  actor: text('actor').notNull(),
  reason: text('reason').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * What each data identifier of a DL/T 645 meter last did: when it was last answered and with
 * what (the decoded value as JSON), and how often it was not (no reply, or the error word "no
 * requested data"), so a missing DI is counted per meter and shown, and loses nothing else.
 */
export const meterDataIdentifiers = sqliteTable('meter_data_identifiers', {
  meterId: text('meter_id').notNull(),
  /** 8 hex digits (2007) or 4 (1997), most significant first */
  di: text('di').notNull(),
  answeredAt: integer('answered_at'),
  lastValue: text('last_value'),
  misses: integer('misses').notNull().default(0),
  missedAt: integer('missed_at'),
  /** 'no-reply' | 'no-requested-data' | the error word's flags */
  missReason: text('miss_reason'),
}, (t) => [primaryKey({ columns: [t.meterId, t.di] })]);

/**
 * Live values of a meter (voltage, current, active power, power factor, frequency, remaining and
 * overdraft amount): the latest and a bounded history of each (polling.liveValuesKept). Integers
 * in a fixed unit per quantity (src/live-values.ts): mV, mA, 0.1 W, thousandths, 0.01 Hz, fen.
 */
export const meterValues = sqliteTable('meter_values', {
  meterId: text('meter_id').notNull(),
  quantity: text('quantity').notNull(),
  ts: integer('ts').notNull(),
  value: integer('value').notNull(),
}, (t) => [primaryKey({ columns: [t.meterId, t.quantity, t.ts] })]);

/**
 * Daily frozen readings (日冻结): the forward active energy a meter froze at the start of each of
 * its days, by the meter's local day; read once a day and backfilled (补抄) after an outage.
 */
export const frozenReadings = sqliteTable('frozen_readings', {
  meterId: text('meter_id').notNull(),
  /** the meter's local day 'YYYY-MM-DD' the freeze opens */
  day: text('day').notNull(),
  frozenAt: integer('frozen_at').notNull(),
  energyWh: integer('energy_wh').notNull(),
  readAt: integer('read_at').notNull(),
}, (t) => [primaryKey({ columns: [t.meterId, t.day] })]);

/**
 * How a meter's remote control is protected, where it differs from its bus's default
 * (docs/security-module.md): 'plaintext' 0x1C, or 'esam' (identity authentication and 0x1C
 * encrypted under the session), with the key version its ESAM holds. A table of its own, so
 * that the meters table and its repository stay as they are.
 */
export const meterSecurity = sqliteTable('meter_security', {
  meterId: text('meter_id').primaryKey().references(() => meters.id, { onDelete: 'cascade' }),
  mode: text('mode').notNull(),
  keyVersion: integer('key_version').notNull(),
  updatedAt: integer('updated_at').notNull(),
});
