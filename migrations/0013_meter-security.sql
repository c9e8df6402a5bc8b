CREATE TABLE `meter_security` (
	`meter_id` text PRIMARY KEY NOT NULL,
	`mode` text NOT NULL,
	`key_version` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`meter_id`) REFERENCES `meters`(`id`) ON UPDATE no action ON DELETE cascade
);
