ALTER TABLE "webhooks" ADD COLUMN "previous_secret" text;--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "previous_secret_until" bigint;--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "paused_at" bigint;--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "paused_until" bigint;--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "pause_reason" text;--> statement-breakpoint
CREATE INDEX "webhook_head" ON "webhook_deliveries" USING btree ("webhook_id","state","event_id");