ALTER TABLE `webhooks` ADD `previous_secret` text;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `previous_secret_until` integer;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `paused_at` integer;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `paused_until` integer;--> statement-breakpoint
ALTER TABLE `webhooks` ADD `pause_reason` text;--> statement-breakpoint
CREATE INDEX `webhook_head` ON `webhook_deliveries` (`webhook_id`,`state`,`event_id`);