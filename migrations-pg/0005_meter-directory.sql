CREATE TABLE "meter_directory" (
	"id" integer PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL
);
--> statement-breakpoint
INSERT INTO "meter_directory" ("id", "version") VALUES (1, 0);
--> statement-breakpoint
CREATE FUNCTION "meter_directory_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE "meter_directory" SET "version" = "version" + 1;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "meter_directory_changed" AFTER INSERT OR DELETE OR UPDATE OF "address", "concentrator_id" ON "meters"
	FOR EACH STATEMENT EXECUTE FUNCTION "meter_directory_changed"();
