ALTER TABLE "ledger_entries" ADD COLUMN "interval_from" bigint;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "interval_to" bigint;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "breakdown" text;--> statement-breakpoint
ALTER TABLE "meters" ADD COLUMN "register_mismatch" text;