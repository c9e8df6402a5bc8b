// The administration CLI's dispatcher (`npx feikong …`): works on the database the configuration
// names (FEIKONG_CONFIG / --config / FEIKONG_* environment), whether or not the daemon is running.
// src/cli/main.ts runs it for bin/feikong.mjs; tests may call runCli() in process.
import { ConfigError } from '../config/load.js';
import { isAppError } from '../errors.js';
import { UsageError } from './args.js';
import type { CliIo } from './context.js';
import { KEYS_HELP, keysCommand } from './keys.js';
import { MQTT_HELP, mqttCommand } from './mqtt.js';
import { IMPORT_HELP, importCommand } from './import.js';
import { MIGRATION_HELP, migrationCommand } from './migration.js';
import { CONFIG_HELP, configCommand } from './config-show.js';
import { runLedgerCheck } from './ledger-check.js';
import { CALENDAR_HELP, calendarCommand } from './calendar.js';
import { cliSettings } from './context.js';
import { CliDatabaseError, openCliDatabase } from './database.js';
import { parseArgs, optionValue } from './args.js';

export const HELP = `Usage: feikong <command> [options]

Commands:
  keys create --name N --role R   create an API key (the secret is printed once)
  keys revoke ID                  revoke an API key
  keys list                       list API keys
  mqtt credentials create CID     create a concentrator's MQTT credential (the password is printed once)
  mqtt credentials revoke ID      revoke an MQTT credential
  mqtt credentials list           list MQTT credentials
  mqtt mosquitto --out DIR        write a Mosquitto configuration with the embedded broker's rights
  import accounts FILE.csv        create (or --mode upsert) accounts from CSV (per-row errors)
  import meters FILE.csv          create (or --mode upsert) meters from CSV (per-row errors)
  import jobs                     list the latest import jobs (to resume one)
  migration list                  list the migrations holding imported accounts
  migration release NAME          release a migration's accounts to alarms and the engine
  ledger check                    check the ledger's invariants; exit 1 if any is broken
  config show                     print the effective configuration, secrets masked
  calendar status|show|set|remove official holiday schedules of the no-cut calendar

Every command takes --config FILE (default: FEIKONG_CONFIG) and --help. Commands work on the
database that configuration names (dataDir, or database.url), say which on stderr, and refuse a
database that does not exist rather than create an empty one.
`;

const LEDGER_HELP = `Usage: feikong ledger check [--config FILE]

Checks the ledger on the configured database (safe while the daemon runs): every cached balance
equals the sum of its entries, running balances, payments and reversals. Prints the report as one
JSON line. Exit status: 0 the ledger holds, 1 it does not.
`;

function ledgerCommand(argv: string[], io: CliIo): number {
  const args = parseArgs(argv, { config: 'value', help: 'flag' });
  if (args.options.help) {
    io.out.write(LEDGER_HELP);
    return 0;
  }
  if (args.positionals[0] !== 'check') throw new UsageError('ledger needs "check" (see: feikong ledger --help)');
  const settings = cliSettings(optionValue(args, 'config'), io);
  const report = runLedgerCheck(settings.config, io.out, (config) => openCliDatabase(config, settings.source, io.err));
  return report.ok ? 0 : 1;
}

export function runCli(argv: string[], io: CliIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'keys': return keysCommand(rest, io);
      case 'mqtt': return mqttCommand(rest, io);
      case 'import': return importCommand(rest, io);
      case 'migration': return migrationCommand(rest, io);
      case 'ledger': return ledgerCommand(rest, io);
      case 'config': return configCommand(rest, io);
      case 'calendar': return calendarCommand(rest, io);
      case undefined: case 'help': case '--help': case '-h':
        io.out.write(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(`feikong: ${err.message}\n\n${helpFor(command)}`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof CliDatabaseError) {
      io.err.write(`feikong: ${err.message}\n`);
      return 2;
    }
    if (isAppError(err)) {
      io.err.write(`feikong: ${err.code}: ${err.message}\n`);
      return err.code === 'VALIDATION' ? 2 : 1;
    }
    throw err;
  }
}

function helpFor(command: string | undefined): string {
  if (command === 'calendar') return CALENDAR_HELP;
  return command === 'keys' ? KEYS_HELP : command === 'mqtt' ? MQTT_HELP : command === 'import' ? IMPORT_HELP : command === 'migration' ? MIGRATION_HELP : command === 'config' ? CONFIG_HELP : command === 'ledger' ? LEDGER_HELP : HELP;
}
