CREATE TABLE `frozen_readings` (
	`meter_id` text NOT NULL,
	`day` text NOT NULL,
	`frozen_at` integer NOT NULL,
	`energy_wh` integer NOT NULL,
	`read_at` integer NOT NULL,
	PRIMARY KEY(`meter_id`, `day`)
);
--> statement-breakpoint
CREATE TABLE `meter_data_identifiers` (
	`meter_id` text NOT NULL,
	`di` text NOT NULL,
	`answered_at` integer,
	`last_value` text,
	`misses` integer DEFAULT 0 NOT NULL,
	`missed_at` integer,
	`miss_reason` text,
	PRIMARY KEY(`meter_id`, `di`)
);
--> statement-breakpoint
CREATE TABLE `meter_values` (
	`meter_id` text NOT NULL,
	`quantity` text NOT NULL,
	`ts` integer NOT NULL,
	`value` integer NOT NULL,
	PRIMARY KEY(`meter_id`, `quantity`, `ts`)
);
--> statement-breakpoint
ALTER TABLE `meters` ADD `profile` text;--> statement-breakpoint
ALTER TABLE `meters` ADD `password_level` integer;--> statement-breakpoint
ALTER TABLE `meters` ADD `password` text;--> statement-breakpoint
ALTER TABLE `meters` ADD `operator_code` text;