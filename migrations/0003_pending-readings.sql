CREATE TABLE `pending_readings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`meter_id` text NOT NULL,
	`ts` integer NOT NULL,
	`energy_wh` integer NOT NULL,
	`relay` text,
	`tou` text,
	`received_at` integer NOT NULL
);
