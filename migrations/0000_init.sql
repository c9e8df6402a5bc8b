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
	FOREIGN KEY (`meter_id`) REFERENCES `meters`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `commands_one_active_per_meter` ON `commands` (`meter_id`) WHERE state in ('queued', 'sent');--> statement-breakpoint
CREATE INDEX `commands_meter` ON `commands` (`meter_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `commands_state` ON `commands` (`state`);--> statement-breakpoint
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
	`supports_direct_close` integer DEFAULT 1 NOT NULL,
	`relay_state` text DEFAULT 'unknown' NOT NULL,
	`relay_state_at` integer,
	`last_reading_at` integer,
	`last_energy_wh` integer,
	`charge_base_wh` integer,
	`charged_energy_wh` integer,
	`online` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `meters_bus_address` ON `meters` (`bus_id`,`address`);--> statement-breakpoint
CREATE INDEX `meters_account` ON `meters` (`account_id`);--> statement-breakpoint
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
);
--> statement-breakpoint
CREATE TABLE `tariffs` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`definition` text NOT NULL,
	`created_at` integer NOT NULL
);
