// `feikong import accounts|meters FILE.csv`: the same CSV import as POST /v1/import/…, on the
// configured database. Prints a summary and every bad row; exits 1 when any row was refused.
import { readFileSync } from 'node:fs';
import { importCsv, MAX_IMPORT_ROWS } from '../fleet-import.js';
import { AccountInputSchema, MeterInputSchema } from '../fleet.js';
import { parseArgs, optionValue, UsageError } from './args.js';
import { cliActor, cliConfig, withRepositories, type CliIo } from './context.js';

export const IMPORT_HELP = `Usage: feikong import <accounts|meters> FILE.csv [options]

Creates accounts or meters from a CSV file whose first row names the columns (any order; empty
cells take the defaults). Good rows are created; each bad row is reported with its row number
(the header is row 1), field and reason. At most ${MAX_IMPORT_ROWS} rows per file.

  accounts columns: ${Object.keys(AccountInputSchema.properties).join(',')}
  meters columns:   ${Object.keys(MeterInputSchema.properties).join(',')}

Options:
  --dry-run        check every row, create nothing
  --config FILE    configuration file (default: FEIKONG_CONFIG)
  --help           this text

Exit status: 0 all rows created (or would be), 1 some rows refused, 2 the file or the command is wrong.
`;

export function importCommand(argv: string[], io: CliIo): number {
  const args = parseArgs(argv, { 'dry-run': 'flag', config: 'value', help: 'flag' });
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
  const config = cliConfig(optionValue(args, 'config'), io);
  const dryRun = args.options['dry-run'] === true;
  const result = withRepositories(config, (repos) => importCsv(repos, config, kind, text, cliActor(io.env), Date.now(), { dryRun }));
  io.out.write(`${dryRun ? 'dry run: would create' : 'created'} ${result.created} of ${result.rows} ${kind}; ${result.errors.length} refused\n`);
  for (const e of result.errors) io.out.write(`  row ${e.row}${e.id ? ` (${e.id})` : ''}: ${e.code}${e.field ? ` ${e.field}` : ''}: ${e.message}\n`);
  return result.errors.length > 0 ? 1 : 0;
}
