CREATE TABLE "bus_leases" (
	"bus_id" text PRIMARY KEY NOT NULL,
	"node_id" text NOT NULL,
	"expires_at" bigint NOT NULL,
	"epoch" bigint NOT NULL,
	"acquired_at" bigint NOT NULL
);
