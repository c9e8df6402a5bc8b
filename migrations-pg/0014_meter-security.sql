CREATE TABLE "meter_security" (
	"meter_id" text PRIMARY KEY NOT NULL,
	"mode" text NOT NULL,
	"key_version" integer NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "meter_security" ADD CONSTRAINT "meter_security_meter_id_meters_id_fk" FOREIGN KEY ("meter_id") REFERENCES "public"."meters"("id") ON DELETE cascade ON UPDATE no action;