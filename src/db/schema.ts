// The database schema, in TypeScript; drizzle-kit generates the SQL in migrations/ from it
// (STYLE.md §12). Money columns are integer fen, energy columns integer Wh, times integer
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
  createdAt: integer('created_at').notNull(),
});

export const meters = sqliteTable('meters', {
  id: text('id').primaryKey(),
  accountId: text('account_id').notNull().references(() => accounts.id),
  protocol: text('protocol').notNull(),
  busId: text('bus_id'),
  address: text('address').notNull(),
  supportsDirectClose: integer('supports_direct_close').notNull().default(1),
  relayState: text('relay_state').notNull().default('unknown'),
  relayStateAt: integer('relay_state_at'),
  lastReadingAt: integer('last_reading_at'),
  lastEnergyWh: integer('last_energy_wh'),
  /** Register value at which charging started (the meter's first reading). */
  chargeBaseWh: integer('charge_base_wh'),
  /** Cumulative energy already charged (the highest register value seen). */
  chargedEnergyWh: integer('charged_energy_wh'),
  online: integer('online').notNull().default(1),
  createdAt: integer('created_at').notNull(),
}, (t) => [
  uniqueIndex('meters_bus_address').on(t.busId, t.address),
  index('meters_account').on(t.accountId),
]);

export const readings = sqliteTable('readings', {
  meterId: text('meter_id').notNull(),
  ts: integer('ts').notNull(),
  energyWh: integer('energy_wh').notNull(),
}, (t) => [primaryKey({ columns: [t.meterId, t.ts] })]);

export const ledgerEntries = sqliteTable('ledger_entries', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  accountId: text('account_id').notNull().references(() => accounts.id),
  kind: text('kind').notNull(),
  amountFen: integer('amount_fen').notNull(),
  balanceAfterFen: integer('balance_after_fen').notNull(),
  paymentId: text('payment_id'),
  meterId: text('meter_id'),
  energyWh: integer('energy_wh'),
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
  createdAt: integer('created_at').notNull(),
  sentAt: integer('sent_at'),
  finishedAt: integer('finished_at'),
  expiresAt: integer('expires_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
}, (t) => [
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
});

export const apiKeys = sqliteTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  role: text('role').notNull(),
  /** SHA-256 of the secret; the secret itself is shown once at creation and never stored. */
  secretHash: text('secret_hash').notNull(),
  createdAt: integer('created_at').notNull(),
  revokedAt: integer('revoked_at'),
}, (t) => [uniqueIndex('api_keys_hash').on(t.secretHash)]);
