// The PostgreSQL schema, kept in step with the SQLite one (src/db/schema.ts): the same tables,
// columns, keys and indexes under the same names; drizzle-kit generates migrations-pg/ from it
// (drizzle.pg.config.ts) and test/db/pg/schema-parity.test.ts compares the two databases.
// Money (fen), energy (Wh), times (ms since the epoch) and row ids are bigint read as JS numbers
// (the pool's type parser refuses anything beyond Number.MAX_SAFE_INTEGER, src/db/pg/connection.ts);
// 0/1 flags, states and small counts are integer, holding the same values as in SQLite.
import { sql } from 'drizzle-orm';
import { pgTable, text, integer, bigint, primaryKey, index, uniqueIndex } from 'drizzle-orm/pg-core';

/** A bigint column read and written as a JS number. */
const int8 = (name: string) => bigint(name, { mode: 'number' });
/** An autoincrementing row id (SQLite INTEGER PRIMARY KEY AUTOINCREMENT). */
const rowId = (name: string) => int8(name).primaryKey().generatedByDefaultAsIdentity();

export const tariffs = pgTable('tariffs', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** JSON definition of the tariff (kind and prices); see src/domain/tariff.ts */
  definition: text('definition').notNull(),
  createdAt: int8('created_at').notNull(),
});

/**
 * PostgreSQL has no rowid: `seq` numbers accounts and meters in insertion order, so the sweep
 * walks them in bounded ranges as it walks SQLite's rowid (src/db/dialect.ts rowNumber).
 */
const seq = () => bigint('seq', { mode: 'number' }).notNull().generatedByDefaultAsIdentity();

export const accounts = pgTable('accounts', {
  id: text('id').primaryKey(),
  seq: seq(),
  name: text('name').notNull(),
  category: text('category').notNull().default('residential'),
  creditGrade: text('credit_grade').notNull().default('B'),
  protected: integer('protected').notNull().default(0),
  tariffId: text('tariff_id').notNull().references(() => tariffs.id),
  /** Cached sum of the account's ledger entries, updated in the same transaction as each entry. */
  balanceFen: int8('balance_fen').notNull().default(0),
  alarmLevel1Fen: int8('alarm_level1_fen').notNull(),
  alarmLevel2Fen: int8('alarm_level2_fen').notNull(),
  cutoffLevelFen: int8('cutoff_level_fen').notNull(),
  restoreLevelFen: int8('restore_level_fen').notNull(),
  /** Highest alarm level currently raised (0, 1, 2); re-armed when the balance goes back up. */
  alarmState: integer('alarm_state').notNull().default(0),
  alarm2At: int8('alarm2_at'),
  /** When a manual-review item was raised for this account's current arrears; cleared on restore. */
  reviewAt: int8('review_at'),
  /** JSON overrides of the levels, each in money or in days of supply, e.g. {"alarmLevel1":{"days":3}} */
  levelOverrides: text('level_overrides'),
  /** When the levels were last derived from their inputs; null on a row from before levels were derived (its money levels are taken as the account's own on the first derivation). */
  levelsDerivedAt: int8('levels_derived_at'),
  /** Emergency credit taken and not yet repaid, fen (0 = none outstanding). */
  emergencyCreditFen: int8('emergency_credit_fen').notNull().default(0),
  lastPaymentAt: int8('last_payment_at'),
  createdAt: int8('created_at').notNull(),
  /** The migration holding the account's alarms and the engine until released (see src/db/schema.ts). */
  migration: text('migration'),
}, (t) => [uniqueIndex('accounts_seq').on(t.seq), index('accounts_migration').on(t.migration)]);

export const meters = pgTable('meters', {
  id: text('id').primaryKey(),
  seq: seq(),
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
  relayStateAt: int8('relay_state_at'),
  lastReadingAt: int8('last_reading_at'),
  lastEnergyWh: int8('last_energy_wh'),
  /** Register value at which charging started (the meter's first reading). */
  chargeBaseWh: int8('charge_base_wh'),
  /** Cumulative energy already charged (the highest register value seen). */
  chargedEnergyWh: int8('charged_energy_wh'),
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
  createdAt: int8('created_at').notNull(),
}, (t) => [
  uniqueIndex('meters_bus_address').on(t.busId, t.address),
  uniqueIndex('meters_concentrator_address').on(t.concentratorId, t.address),
  index('meters_account').on(t.accountId),
  uniqueIndex('meters_seq').on(t.seq),
]);

/**
 * One row per (meter, time). PostgreSQL has no WITHOUT ROWID tables: a reading is a heap row plus
 * its primary-key index entry.
 */
export const readings = pgTable('readings', {
  meterId: text('meter_id').notNull(),
  ts: int8('ts').notNull(),
  energyWh: int8('energy_wh').notNull(),
}, (t) => [primaryKey({ columns: [t.meterId, t.ts] })]);

/** Per-tariff (time-of-use) registers of a reading, where the meter has them. */
export const touReadings = pgTable('tou_readings', {
  meterId: text('meter_id').notNull(),
  ts: int8('ts').notNull(),
  peakWh: int8('peak_wh'),
  flatWh: int8('flat_wh'),
  valleyWh: int8('valley_wh'),
  criticalWh: int8('critical_wh'),
}, (t) => [primaryKey({ columns: [t.meterId, t.ts] })]);

/** Which tariff applies to an account from when; a change takes effect without re-charging the past. */
export const tariffAssignments = pgTable('tariff_assignments', {
  accountId: text('account_id').notNull().references(() => accounts.id),
  effectiveFrom: int8('effective_from').notNull(),
  tariffId: text('tariff_id').notNull().references(() => tariffs.id),
  actor: text('actor').notNull(),
  createdAt: int8('created_at').notNull(),
}, (t) => [primaryKey({ columns: [t.accountId, t.effectiveFrom] })]);

export const ledgerEntries = pgTable('ledger_entries', {
  id: rowId('id'),
  accountId: text('account_id').notNull().references(() => accounts.id),
  kind: text('kind').notNull(),
  amountFen: int8('amount_fen').notNull(),
  balanceAfterFen: int8('balance_after_fen').notNull(),
  paymentId: text('payment_id'),
  meterId: text('meter_id'),
  energyWh: int8('energy_wh'),
  /** consumption: the reading interval charged [from, to] (ms) */
  intervalFrom: int8('interval_from'),
  intervalTo: int8('interval_to'),
  /** consumption: JSON array of the parts charged (period, tier or band, tariff, price, energy, amount, basis); docs/charging.md */
  breakdown: text('breakdown'),
  reason: text('reason'),
  actor: text('actor').notNull(),
  createdAt: int8('created_at').notNull(),
}, (t) => [index('ledger_account').on(t.accountId, t.id)]);

export const payments = pgTable('payments', {
  id: text('id').primaryKey(),
  channel: text('channel').notNull(),
  channelTxnId: text('channel_txn_id').notNull(),
  accountId: text('account_id').notNull().references(() => accounts.id),
  amountFen: int8('amount_fen').notNull(),
  paidAt: int8('paid_at').notNull(),
  actor: text('actor').notNull(),
  createdAt: int8('created_at').notNull(),
  reversedAt: int8('reversed_at'),
}, (t) => [
  uniqueIndex('payments_channel_txn').on(t.channel, t.channelTxnId),
  index('payments_account').on(t.accountId),
]);

export const commands = pgTable('commands', {
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
  createdAt: int8('created_at').notNull(),
  sentAt: int8('sent_at'),
  finishedAt: int8('finished_at'),
  expiresAt: int8('expires_at').notNull(),
  updatedAt: int8('updated_at').notNull(),
  /** the bulk operation this command belongs to, if any */
  bulkId: text('bulk_id'),
  /** what made it due, when that came before it (the payment of a restore): its latency counts from here */
  triggerAt: int8('trigger_at'),
}, (t) => [
  index('commands_bulk').on(t.bulkId),
  // Never two commands in flight for one meter.
  uniqueIndex('commands_one_active_per_meter').on(t.meterId).where(sql`state in ('queued', 'sent')`),
  index('commands_meter').on(t.meterId, t.createdAt),
  index('commands_state').on(t.state),
]);

export const events = pgTable('events', {
  id: rowId('id'),
  type: text('type').notNull(),
  accountId: text('account_id'),
  meterId: text('meter_id'),
  data: text('data').notNull(),
  createdAt: int8('created_at').notNull(),
}, (t) => [index('events_account').on(t.accountId, t.id)]);

export const audit = pgTable('audit', {
  id: rowId('id'),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  target: text('target').notNull(),
  detail: text('detail').notNull(),
  at: int8('at').notNull(),
}, (t) => [
  index('audit_target').on(t.target, t.id),
  index('audit_actor').on(t.actor, t.id),
]);

export const apiKeys = pgTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  role: text('role').notNull(),
  /** SHA-256 of the secret; the secret itself is shown once at creation and never stored. */
  secretHash: text('secret_hash').notNull(),
  createdAt: int8('created_at').notNull(),
  revokedAt: int8('revoked_at'),
}, (t) => [uniqueIndex('api_keys_hash').on(t.secretHash)]);

/** Keep-power (保电) and manual-off holds, on a meter or an account, with actor, reason and expiry. */
export const holds = pgTable('holds', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(),
  scope: text('scope').notNull(),
  targetId: text('target_id').notNull(),
  actor: text('actor').notNull(),
  reason: text('reason').notNull(),
  createdAt: int8('created_at').notNull(),
  expiresAt: int8('expires_at'),
  releasedAt: int8('released_at'),
  releasedBy: text('released_by'),
}, (t) => [
  index('holds_target').on(t.scope, t.targetId),
  index('holds_in_force').on(t.releasedAt, t.expiresAt),
]);

/** Items an operator must look at: a protected customer at the cut-off level, a flapping relay, a relay fault. */
export const reviewItems = pgTable('review_items', {
  id: rowId('id'),
  kind: text('kind').notNull(),
  accountId: text('account_id'),
  meterId: text('meter_id'),
  reason: text('reason').notNull(),
  createdAt: int8('created_at').notNull(),
  resolvedAt: int8('resolved_at'),
  resolvedBy: text('resolved_by'),
  resolution: text('resolution'),
}, (t) => [index('review_open').on(t.resolvedAt, t.id)]);

/** Operator bulk disconnect / reconnect: progress and per-meter results live on its commands and skips. */
export const bulkOperations = pgTable('bulk_operations', {
  id: text('id').primaryKey(),
  action: text('action').notNull(),
  actor: text('actor').notNull(),
  reason: text('reason').notNull(),
  state: text('state').notNull(),
  total: integer('total').notNull(),
  /** JSON array of {meterId, skipped: reason} for meters the operation left alone */
  skipped: text('skipped').notNull().default('[]'),
  createdAt: int8('created_at').notNull(),
  finishedAt: int8('finished_at'),
});

/** Readings committed by the concentrator ingest and not yet charged (see src/db/schema.ts). */
export const pendingReadings = pgTable('pending_readings', {
  id: rowId('id'),
  meterId: text('meter_id').notNull(),
  ts: int8('ts').notNull(),
  energyWh: int8('energy_wh').notNull(),
  relay: text('relay'),
  tou: text('tou'),
  receivedAt: int8('received_at').notNull(),
});

/** The meter directory's version (see src/db/schema.ts); the migration adds the triggers. */
export const meterDirectory = pgTable('meter_directory', {
  id: integer('id').primaryKey(),
  version: int8('version').notNull(),
});

/** Messages that could not be ingested, kept for inspection. */
export const deadLetters = pgTable('dead_letters', {
  id: rowId('id'),
  source: text('source').notNull(),
  topic: text('topic'),
  payload: text('payload').notNull(),
  reason: text('reason').notNull(),
  createdAt: int8('created_at').notNull(),
});

export const concentrators = pgTable('concentrators', {
  id: text('id').primaryKey(),
  status: text('status').notNull().default('unknown'),
  statusAt: int8('status_at'),
  createdAt: int8('created_at').notNull(),
});

/**
 * MQTT credentials of concentrators: the user name is the concentrator id; the password is a
 * random secret shown once at creation and stored only as a PBKDF2-SHA512 hash in Mosquitto's
 * `$7$` format (src/mqtt/password-hash.ts), so the same row serves the embedded broker and a
 * generated Mosquitto password file. At most one active credential per concentrator.
 */
export const mqttCredentials = pgTable('mqtt_credentials', {
  id: text('id').primaryKey(),
  concentratorId: text('concentrator_id').notNull(),
  passwordHash: text('password_hash').notNull(),
  createdAt: int8('created_at').notNull(),
  revokedAt: int8('revoked_at'),
}, (t) => [
  uniqueIndex('mqtt_credentials_one_active').on(t.concentratorId).where(sql`revoked_at IS NULL`),
  index('mqtt_credentials_revoked').on(t.revokedAt),
]);

export const webhooks = pgTable('webhooks', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  /** HMAC-SHA256 key for the X-Feikong-Signature header */
  secret: text('secret').notNull(),
  /** JSON array of event types, or ["*"] */
  eventTypes: text('event_types').notNull(),
  active: integer('active').notNull().default(1),
  createdAt: int8('created_at').notNull(),
  /** the secret before the last rotation: deliveries carry a second signature with it until previousSecretUntil */
  previousSecret: text('previous_secret'),
  previousSecretUntil: int8('previous_secret_until'),
  /** set while the subscriber is paused (a delivery failed for good); nothing is sent to it until resumed */
  pausedAt: int8('paused_at'),
  /** when a paused subscriber resumes by itself (the cool-off) */
  pausedUntil: int8('paused_until'),
  pauseReason: text('pause_reason'),
});

export const webhookDeliveries = pgTable('webhook_deliveries', {
  webhookId: text('webhook_id').notNull().references(() => webhooks.id),
  eventId: int8('event_id').notNull(),
  state: text('state').notNull(),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: int8('next_attempt_at').notNull(),
  /** HTTP status of the last attempt */
  lastStatus: integer('last_status'),
  lastError: text('last_error'),
  updatedAt: int8('updated_at').notNull(),
}, (t) => [
  primaryKey({ columns: [t.webhookId, t.eventId] }),
  index('webhook_due').on(t.state, t.nextAttemptAt),
  /** a subscriber's oldest pending delivery: its queue's head, delivered in event order */
  index('webhook_head').on(t.webhookId, t.state, t.eventId),
]);

/** Where each webhook's outbox reading stands (the highest event id already turned into deliveries). */
export const outboxCursors = pgTable('outbox_cursors', {
  name: text('name').primaryKey(),
  lastEventId: int8('last_event_id').notNull(),
});

/**
 * Which daemon owns each bus (RS-485 line, DTU, Modbus TCP endpoint): polling and relay commands
 * on a bus run only in its owner. A lease is taken when free, expired or already the taker's, and
 * renewed before it expires; `epoch` counts changes of owner (a fencing counter).
 */
export const busLeases = pgTable('bus_leases', {
  busId: text('bus_id').primaryKey(),
  /** cluster.nodeId of the daemon holding (or last holding) the lease */
  nodeId: text('node_id').notNull(),
  /** the lease is free from this time on (ms since the epoch, the renewing daemon's clock) */
  expiresAt: int8('expires_at').notNull(),
  epoch: int8('epoch').notNull(),
  /** when the current owner took the lease */
  acquiredAt: int8('acquired_at').notNull(),
});

/** A CSV import of accounts or meters, committed in chunks and resumable (see src/db/schema.ts). */
export const importJobs = pgTable('import_jobs', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(),
  mode: text('mode').notNull(),
  dryRun: integer('dry_run').notNull().default(0),
  state: text('state').notNull(),
  actor: text('actor').notNull(),
  migration: text('migration'),
  encoding: text('encoding'),
  source: text('source').notNull(),
  fingerprint: text('fingerprint').notNull(),
  rows: int8('rows'),
  rowDone: int8('row_done').notNull().default(1),
  created: int8('created').notNull().default(0),
  updated: int8('updated').notNull().default(0),
  unchanged: int8('unchanged').notNull().default(0),
  refused: int8('refused').notNull().default(0),
  errors: text('errors').notNull().default('[]'),
  message: text('message'),
  createdAt: int8('created_at').notNull(),
  updatedAt: int8('updated_at').notNull(),
  finishedAt: int8('finished_at'),
});

/**
 * Official holiday schedules entered by operators (API, CLI, configuration file), one per year:
 * the public holidays and make-up workdays (调休) of the no-cut calendar, ahead of the library's
 * and of derived ones (src/domain/holiday-calendar.ts). `schedule` is the checked JSON
 * {holidays: [{name, from, to}], makeUpWorkdays: [{date, name?}]}.
 */
export const holidaySchedules = pgTable('holiday_schedules', {
  year: integer('year').primaryKey(),
  schedule: text('schedule').notNull(),
  /** where it was entered: api, cli or config */
  origin: text('origin').notNull(),
  actor: text('actor').notNull(),
  reason: text('reason').notNull(),
  updatedAt: int8('updated_at').notNull(),
});

/**
 * What each data identifier of a DL/T 645 meter last did: when it was last answered and with
 * what (the decoded value as JSON), and how often it was not (no reply, or the error word "no
 * requested data"), so a missing DI is counted per meter and shown, and loses nothing else.
 */
export const meterDataIdentifiers = pgTable('meter_data_identifiers', {
  meterId: text('meter_id').notNull(),
  /** 8 hex digits (2007) or 4 (1997), most significant first */
  di: text('di').notNull(),
  answeredAt: int8('answered_at'),
  lastValue: text('last_value'),
  misses: integer('misses').notNull().default(0),
  missedAt: int8('missed_at'),
  /** 'no-reply' | 'no-requested-data' | the error word's flags */
  missReason: text('miss_reason'),
}, (t) => [primaryKey({ columns: [t.meterId, t.di] })]);

/**
 * Live values of a meter (voltage, current, active power, power factor, frequency, remaining and
 * overdraft amount): the latest and a bounded history of each (polling.liveValuesKept). Integers
 * in a fixed unit per quantity (src/live-values.ts): mV, mA, 0.1 W, thousandths, 0.01 Hz, fen.
 */
export const meterValues = pgTable('meter_values', {
  meterId: text('meter_id').notNull(),
  quantity: text('quantity').notNull(),
  ts: int8('ts').notNull(),
  value: int8('value').notNull(),
}, (t) => [primaryKey({ columns: [t.meterId, t.quantity, t.ts] })]);

/**
 * Daily frozen readings (日冻结): the forward active energy a meter froze at the start of each of
 * its days, by the meter's local day; read once a day and backfilled (补抄) after an outage.
 */
export const frozenReadings = pgTable('frozen_readings', {
  meterId: text('meter_id').notNull(),
  /** the meter's local day 'YYYY-MM-DD' the freeze opens */
  day: text('day').notNull(),
  frozenAt: int8('frozen_at').notNull(),
  energyWh: int8('energy_wh').notNull(),
  readAt: int8('read_at').notNull(),
}, (t) => [primaryKey({ columns: [t.meterId, t.day] })]);

/**
 * How a meter's remote control is protected, where it differs from its bus's default
 * (docs/security-module.md): 'plaintext' 0x1C, or 'esam' (identity authentication and 0x1C
 * encrypted under the session), with the key version its ESAM holds. A table of its own, so
 * that the meters table and its repository stay as they are.
 */
export const meterSecurity = pgTable('meter_security', {
  meterId: text('meter_id').primaryKey().references(() => meters.id, { onDelete: 'cascade' }),
  mode: text('mode').notNull(),
  keyVersion: integer('key_version').notNull(),
  updatedAt: int8('updated_at').notNull(),
});
