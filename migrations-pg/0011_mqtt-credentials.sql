CREATE TABLE "mqtt_credentials" (
	"id" text PRIMARY KEY NOT NULL,
	"concentrator_id" text NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" bigint NOT NULL,
	"revoked_at" bigint
);
--> statement-breakpoint
CREATE UNIQUE INDEX "mqtt_credentials_one_active" ON "mqtt_credentials" USING btree ("concentrator_id") WHERE revoked_at IS NULL;--> statement-breakpoint
CREATE INDEX "mqtt_credentials_revoked" ON "mqtt_credentials" USING btree ("revoked_at");