CREATE TABLE `import_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`mode` text NOT NULL,
	`dry_run` integer DEFAULT 0 NOT NULL,
	`state` text NOT NULL,
	`actor` text NOT NULL,
	`migration` text,
	`encoding` text,
	`source` text NOT NULL,
	`fingerprint` text NOT NULL,
	`rows` integer,
	`row_done` integer DEFAULT 1 NOT NULL,
	`created` integer DEFAULT 0 NOT NULL,
	`updated` integer DEFAULT 0 NOT NULL,
	`unchanged` integer DEFAULT 0 NOT NULL,
	`refused` integer DEFAULT 0 NOT NULL,
	`errors` text DEFAULT '[]' NOT NULL,
	`message` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
ALTER TABLE `accounts` ADD `migration` text;--> statement-breakpoint
CREATE INDEX `accounts_migration` ON `accounts` (`migration`);