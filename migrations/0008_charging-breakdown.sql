ALTER TABLE `ledger_entries` ADD `interval_from` integer;--> statement-breakpoint
ALTER TABLE `ledger_entries` ADD `interval_to` integer;--> statement-breakpoint
ALTER TABLE `ledger_entries` ADD `breakdown` text;--> statement-breakpoint
ALTER TABLE `meters` ADD `register_mismatch` text;