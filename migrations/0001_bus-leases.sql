CREATE TABLE `bus_leases` (
	`bus_id` text PRIMARY KEY NOT NULL,
	`node_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`epoch` integer NOT NULL,
	`acquired_at` integer NOT NULL
);
