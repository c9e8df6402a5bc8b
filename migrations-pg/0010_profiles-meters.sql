CREATE TABLE "frozen_readings" (
	"meter_id" text NOT NULL,
	"day" text NOT NULL,
	"frozen_at" bigint NOT NULL,
	"energy_wh" bigint NOT NULL,
	"read_at" bigint NOT NULL,
	CONSTRAINT "frozen_readings_meter_id_day_pk" PRIMARY KEY("meter_id","day")
);
--> statement-breakpoint
CREATE TABLE "meter_data_identifiers" (
	"meter_id" text NOT NULL,
	"di" text NOT NULL,
	"answered_at" bigint,
	"last_value" text,
	"misses" integer DEFAULT 0 NOT NULL,
	"missed_at" bigint,
	"miss_reason" text,
	CONSTRAINT "meter_data_identifiers_meter_id_di_pk" PRIMARY KEY("meter_id","di")
);
--> statement-breakpoint
CREATE TABLE "meter_values" (
	"meter_id" text NOT NULL,
	"quantity" text NOT NULL,
	"ts" bigint NOT NULL,
	"value" bigint NOT NULL,
	CONSTRAINT "meter_values_meter_id_quantity_ts_pk" PRIMARY KEY("meter_id","quantity","ts")
);
--> statement-breakpoint
ALTER TABLE "meters" ADD COLUMN "profile" text;--> statement-breakpoint
ALTER TABLE "meters" ADD COLUMN "password_level" integer;--> statement-breakpoint
ALTER TABLE "meters" ADD COLUMN "password" text;--> statement-breakpoint
ALTER TABLE "meters" ADD COLUMN "operator_code" text;