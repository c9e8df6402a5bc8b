CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`category` text DEFAULT 'residential' NOT NULL,
	`credit_grade` text DEFAULT 'B' NOT NULL,
	`protected` integer DEFAULT 0 NOT NULL,
	`tariff_id` text NOT NULL,
	`balance_fen` integer DEFAULT 0 NOT NULL,
	`alarm_level1_fen` integer NOT NULL,
	`alarm_level2_fen` integer NOT NULL,
	`cutoff_level_fen` integer NOT NULL,
	`restore_level_fen` integer NOT NULL,
	`alarm_state` integer DEFAULT 0 NOT NULL,
	`alarm2_at` integer,
	`review_at` integer,
	`level_overrides` text,
	`emergency_credit_fen` integer DEFAULT 0 NOT NULL,
	`last_payment_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`tariff_id`) REFERENCES `tariffs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`secret_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash` ON `api_keys` (`secret_hash`);--> statement-breakpoint
CREATE TABLE `audit` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target` text NOT NULL,
	`detail` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_target` ON `audit` (`target`,`id`);--> statement-breakpoint
CREATE INDEX `audit_actor` ON `audit` (`actor`,`id`);--> statement-breakpoint
CREATE TABLE `bulk_operations` (
	`id` text PRIMARY KEY NOT NULL,
	`action` text NOT NULL,
	`actor` text NOT NULL,
	`reason` text NOT NULL,
	`state` text NOT NULL,
	`total` integer NOT NULL,
	`skipped` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE TABLE `commands` (
	`id` text PRIMARY KEY NOT NULL,
	`meter_id` text NOT NULL,
	`action` text NOT NULL,
	`state` text NOT NULL,
	`origin` text NOT NULL,
	`actor` text NOT NULL,
	`reason` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`outcome` text,
	`last_error` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	`finished_at` integer,
	`expires_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`bulk_id` text,
	FOREIGN KEY (`meter_id`) REFERENCES `meters`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `commands_bulk` ON `commands` (`bulk_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `commands_one_active_per_meter` ON `commands` (`meter_id`) WHERE state in ('queued', 'sent');--> statement-breakpoint
CREATE INDEX `commands_meter` ON `commands` (`meter_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `commands_state` ON `commands` (`state`);--> statement-breakpoint
CREATE TABLE `concentrators` (
	`id` text PRIMARY KEY NOT NULL,
	`status` text DEFAULT 'unknown' NOT NULL,
	`status_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`topic` text,
	`payload` text NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`account_id` text,
	`meter_id` text,
	`data` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_account` ON `events` (`account_id`,`id`);--> statement-breakpoint
CREATE TABLE `holds` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`scope` text NOT NULL,
	`target_id` text NOT NULL,
	`actor` text NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`released_at` integer,
	`released_by` text
);
--> statement-breakpoint
CREATE INDEX `holds_target` ON `holds` (`scope`,`target_id`);--> statement-breakpoint
CREATE INDEX `holds_in_force` ON `holds` (`released_at`,`expires_at`);--> statement-breakpoint
CREATE TABLE `ledger_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`amount_fen` integer NOT NULL,
	`balance_after_fen` integer NOT NULL,
	`payment_id` text,
	`meter_id` text,
	`energy_wh` integer,
	`reason` text,
	`actor` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ledger_account` ON `ledger_entries` (`account_id`,`id`);--> statement-breakpoint
CREATE TABLE `meters` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`protocol` text NOT NULL,
	`bus_id` text,
	`address` text NOT NULL,
	`concentrator_id` text,
	`register_map` text,
	`edition` text DEFAULT '2007' NOT NULL,
	`supports_keep_power` integer DEFAULT 1 NOT NULL,
	`supports_direct_close` integer DEFAULT 1 NOT NULL,
	`relay_state` text DEFAULT 'unknown' NOT NULL,
	`relay_state_at` integer,
	`last_reading_at` integer,
	`last_energy_wh` integer,
	`charge_base_wh` integer,
	`charged_energy_wh` integer,
	`online` integer DEFAULT 1 NOT NULL,
	`stale` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `meters_bus_address` ON `meters` (`bus_id`,`address`);--> statement-breakpoint
CREATE UNIQUE INDEX `meters_concentrator_address` ON `meters` (`concentrator_id`,`address`);--> statement-breakpoint
CREATE INDEX `meters_account` ON `meters` (`account_id`);--> statement-breakpoint
CREATE TABLE `outbox_cursors` (
	`name` text PRIMARY KEY NOT NULL,
	`last_event_id` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `payments` (
	`id` text PRIMARY KEY NOT NULL,
	`channel` text NOT NULL,
	`channel_txn_id` text NOT NULL,
	`account_id` text NOT NULL,
	`amount_fen` integer NOT NULL,
	`paid_at` integer NOT NULL,
	`actor` text NOT NULL,
	`created_at` integer NOT NULL,
	`reversed_at` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payments_channel_txn` ON `payments` (`channel`,`channel_txn_id`);--> statement-breakpoint
CREATE INDEX `payments_account` ON `payments` (`account_id`);--> statement-breakpoint
CREATE TABLE `readings` (
	`meter_id` text NOT NULL,
	`ts` integer NOT NULL,
	`energy_wh` integer NOT NULL,
	PRIMARY KEY(`meter_id`, `ts`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `review_items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`account_id` text,
	`meter_id` text,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL,
	`resolved_at` integer,
	`resolved_by` text,
	`resolution` text
);
--> statement-breakpoint
CREATE INDEX `review_open` ON `review_items` (`resolved_at`,`id`);--> statement-breakpoint
CREATE TABLE `tariff_assignments` (
	`account_id` text NOT NULL,
	`effective_from` integer NOT NULL,
	`tariff_id` text NOT NULL,
	`actor` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `effective_from`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`tariff_id`) REFERENCES `tariffs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `tariffs` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`definition` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tou_readings` (
	`meter_id` text NOT NULL,
	`ts` integer NOT NULL,
	`peak_wh` integer,
	`flat_wh` integer,
	`valley_wh` integer,
	`critical_wh` integer,
	PRIMARY KEY(`meter_id`, `ts`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`webhook_id` text NOT NULL,
	`event_id` integer NOT NULL,
	`state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_status` integer,
	`last_error` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`webhook_id`, `event_id`),
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_due` ON `webhook_deliveries` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`event_types` text NOT NULL,
	`active` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL
);
