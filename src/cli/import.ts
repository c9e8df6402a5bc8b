// `feikong import accounts|meters FILE.csv`: the same CSV import as POST /v1/import/…, on the
// configured database. Prints a summary and every bad row; exits 1 when any row was refused.
import { readFileSync } from 'node:fs';
import { importCsv, MAX_IMPORT_ROWS } from '../fleet-import.js';
import { AccountInputSchema, MeterInputSchema } from '../fleet.js';
import { parseArgs, optionValue, UsageError } from './args.js';
import { cliActor, cliSettings, withRepositories, type CliIo } from './context.js';

export const IMPORT_HELP = `Usage: feikong import <accounts|meters> FILE.csv [options]

Creates accounts or meters from a CSV file whose first row names the columns (any order; empty
cells take the defaults). Good rows are created; each bad row is reported with its row number
(the header is row 1), field and reason. At most ${MAX_IMPORT_ROWS} rows per file.

  accounts columns: ${Object.keys(AccountInputSchema.properties).join(',')}
  meters columns:   ${Object.keys(MeterInputSchema.properties).join(',')}

Options:
  --dry-run          check every row, create nothing
  --config FILE      configuration file (default: FEIKONG_CONFIG); meters are checked against
                     its buses, so give the daemon's own
  --create-database  make a new, empty database if there is none (otherwise a missing
                     database is refused, naming its path)
  --help             this text

The database used is named on stderr.

Exit status: 0 all rows created (or would be), 1 some rows refused, 2 the file or the command is wrong.
`;

export function importCommand(argv: string[], io: CliIo): number {
  const args = parseArgs(argv, { 'dry-run': 'flag', config: 'value', 'create-database': 'flag', help: 'flag' });
  const [kind, file] = args.positionals;
  if (args.options.help) {
    io.out.write(IMPORT_HELP);
    return 0;
  }
  if (kind !== 'accounts' && kind !== 'meters') throw new UsageError('import needs "accounts" or "meters" (see: feikong import --help)');
  if (!file) throw new UsageError(`import ${kind} needs a CSV file`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const settings = cliSettings(optionValue(args, 'config'), io);
  const dryRun = args.options['dry-run'] === true;
  const result = withRepositories(settings, io, (repos) => importCsv(repos, settings.config, kind, text, cliActor(io.env), Date.now(), { dryRun }),
    { create: args.options['create-database'] === true && !dryRun, canCreate: !dryRun });
  io.out.write(`${dryRun ? 'dry run: would create' : 'created'} ${result.created} of ${result.rows} ${kind}; ${result.errors.length} refused\n`);
  for (const e of result.errors) io.out.write(`  row ${e.row}${e.id ? ` (${e.id})` : ''}: ${e.code}${e.field ? ` ${e.field}` : ''}: ${e.message}\n`);
  if (result.errors.some((e) => e.code === 'BUS_UNKNOWN')) {
    // The daemon checks meters against its configuration's buses, and so does the CLI: against the one it loaded.
    const buses = settings.config.buses.map((b) => b.id).join(', ') || 'none';
    io.err.write(`feikong: meters are checked against the buses of the configuration the CLI loaded (${settings.source.file ?? 'no configuration file'}; buses: ${buses}); `
      + 'give it the daemon\'s own configuration with --config FILE or FEIKONG_CONFIG=FILE\n');
  }
  return result.errors.length > 0 ? 1 : 0;
}
