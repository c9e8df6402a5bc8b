CREATE TABLE `meter_directory` (
	`id` integer PRIMARY KEY NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `meter_directory` (`id`, `version`) VALUES (1, 0);
--> statement-breakpoint
CREATE TRIGGER `meter_directory_insert` AFTER INSERT ON `meters` BEGIN UPDATE `meter_directory` SET `version` = `version` + 1; END;
--> statement-breakpoint
CREATE TRIGGER `meter_directory_delete` AFTER DELETE ON `meters` BEGIN UPDATE `meter_directory` SET `version` = `version` + 1; END;
--> statement-breakpoint
CREATE TRIGGER `meter_directory_update` AFTER UPDATE OF `address`, `concentrator_id` ON `meters` BEGIN UPDATE `meter_directory` SET `version` = `version` + 1; END;
