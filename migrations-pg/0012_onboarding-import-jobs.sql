CREATE TABLE "import_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"mode" text NOT NULL,
	"dry_run" integer DEFAULT 0 NOT NULL,
	"state" text NOT NULL,
	"actor" text NOT NULL,
	"migration" text,
	"encoding" text,
	"source" text NOT NULL,
	"fingerprint" text NOT NULL,
	"rows" bigint,
	"row_done" bigint DEFAULT 1 NOT NULL,
	"created" bigint DEFAULT 0 NOT NULL,
	"updated" bigint DEFAULT 0 NOT NULL,
	"unchanged" bigint DEFAULT 0 NOT NULL,
	"refused" bigint DEFAULT 0 NOT NULL,
	"errors" text DEFAULT '[]' NOT NULL,
	"message" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"finished_at" bigint
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "migration" text;--> statement-breakpoint
CREATE INDEX "accounts_migration" ON "accounts" USING btree ("migration");