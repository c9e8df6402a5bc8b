CREATE TABLE `holiday_schedules` (
	`year` integer PRIMARY KEY NOT NULL,
	`schedule` text NOT NULL,
	`origin` text NOT NULL,
	`actor` text NOT NULL,
	`reason` text NOT NULL,
	`updated_at` integer NOT NULL
);
