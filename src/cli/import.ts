// `feikong import accounts|meters FILE.csv`: the same CSV import as POST /v1/import/…, on the
// configured database, read from the file piece by piece. Progress goes to stderr (a bar on a
// terminal, a line every tenth otherwise); the summary and every listed bad row to stdout. Exits
// 1 when any row was refused. `feikong import jobs` lists the latest jobs (to resume one).
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { importSync, jobView, type ImportMode, type ImportResult } from '../fleet-import.js';
import { AccountInputSchema, MeterInputSchema } from '../fleet.js';
import { fileSource } from '../import/csv-source.js';
import { ENCODINGS_IN_WORDS, encodingNamed } from '../import/encoding.js';
import { parseArgs, optionValue, UsageError } from './args.js';
import { cliActor, cliSettings, withRepositories, type CliIo } from './context.js';

export const IMPORT_HELP = `Usage: feikong import <accounts|meters> FILE.csv [options]
       feikong import jobs [--config FILE]

Creates (or, with --mode upsert, creates and updates) accounts or meters from a CSV file whose
first row names the columns (any order; empty cells take the defaults). Good rows are imported;
each bad row is reported with its row number (the header is row 1), field and reason. The file
is read in pieces and committed in chunks of rows (import.chunkRows), so a job that stops can be
resumed (--resume JOB); at most import.maxRows rows per file.

  accounts columns: ${Object.keys(AccountInputSchema.properties).join(',')}
  meters columns:   ${Object.keys(MeterInputSchema.properties).join(',')}

Options:
  --mode MODE        create (default: a row whose id exists is refused) or upsert (create,
                     or update the fields the row gives; a row like what is stored is unchanged)
  --encoding NAME    the file's encoding: ${ENCODINGS_IN_WORDS}; default: detected
  --migration NAME   accounts: hold the accounts created under this migration (alarms and the
                     engine) until released with: feikong migration release NAME
  --resume JOB       go on with a job that stopped, from the row after its last committed chunk
  --ids              also print the ids created and updated
  --dry-run          check every row, import nothing
  --config FILE      configuration file (default: FEIKONG_CONFIG); meters are checked against
                     its buses, so give the daemon's own
  --create-database  make a new, empty database if there is none (otherwise a missing
                     database is refused, naming its path)
  --help             this text

The database used is named on stderr.

Exit status: 0 all rows imported (or would be), 1 some rows refused, 2 the file or the command is wrong.
`;

const plural = (n: number) => n.toLocaleString('en-US');

/** A progress line: a bar on a terminal, else a line at every tenth of the rows. */
function progressReporter(io: CliIo): (job: ImportResult) => void {
  const tty = (io.err as { isTTY?: boolean }).isTTY === true;
  let lastTenth = -1;
  return (job) => {
    const total = job.rows ?? 0;
    const done = job.created + job.updated + job.unchanged + job.refused;
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const text = `${plural(done)}/${plural(total)} rows: ${plural(job.created)} created, ${plural(job.updated)} updated, ${plural(job.unchanged)} unchanged, ${plural(job.refused)} refused`;
    if (tty) {
      const width = 30;
      const filled = Math.round(share * width);
      io.err.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${text}`);
      if (share === 1) io.err.write('\n');
      return;
    }
    const tenth = Math.floor(share * 10);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      io.err.write(`${(share * 100).toFixed(0)}% ${text}\n`);
    }
  };
}

function summary(kind: string, mode: ImportMode, r: ImportResult): string {
  const rows = r.rows ?? 0;
  if (r.dryRun && mode === 'create') return `dry run: would create ${r.created} of ${rows} ${kind}; ${r.refused} refused`;
  if (mode === 'create') return `created ${r.created} of ${rows} ${kind}; ${r.refused} refused`;
  return `${r.dryRun ? 'dry run: would create' : 'created'} ${r.created}, ${r.dryRun ? 'update' : 'updated'} ${r.updated}, unchanged ${r.unchanged} of ${rows} ${kind}; ${r.refused} refused`;
}

function jobsCommand(configFile: string | undefined, io: CliIo): number {
  const jobs = withRepositories(cliSettings(configFile, io), io, (repos) => repos.imports.latest(20));
  for (const j of jobs) {
    const v = jobView(j);
    io.out.write(`${j.id}  ${j.kind} ${j.mode}${j.dryRun ? ' (dry run)' : ''}  ${j.state}  ${j.source}  row ${j.rowDone}${j.rows === null ? '' : ` of ${j.rows + 1}`}  `
      + `${v.created} created, ${v.updated} updated, ${v.unchanged} unchanged, ${v.refused} refused${j.message ? `  (${j.message})` : ''}\n`);
  }
  if (jobs.length === 0) io.out.write('no import jobs\n');
  return 0;
}

export function importCommand(argv: string[], io: CliIo): number {
  const args = parseArgs(argv, {
    'dry-run': 'flag', config: 'value', 'create-database': 'flag', help: 'flag', mode: 'value', encoding: 'value', migration: 'value', resume: 'value', ids: 'flag',
  });
  const [kind, file] = args.positionals;
  if (args.options.help) {
    io.out.write(IMPORT_HELP);
    return 0;
  }
  if (kind === 'jobs') return jobsCommand(optionValue(args, 'config'), io);
  if (kind !== 'accounts' && kind !== 'meters') throw new UsageError('import needs "accounts", "meters" or "jobs" (see: feikong import --help)');
  if (!file) throw new UsageError(`import ${kind} needs a CSV file`);
  const mode = optionValue(args, 'mode') ?? 'create';
  if (mode !== 'create' && mode !== 'upsert') throw new UsageError(`--mode is create or upsert, not "${mode}"`);
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const given = optionValue(args, 'encoding');
  const encoding = given === undefined ? undefined : encodingNamed(given, '--encoding');
  const settings = cliSettings(optionValue(args, 'config'), io);
  const config = settings.config;
  const dryRun = args.options['dry-run'] === true;
  const migration = optionValue(args, 'migration');
  const resume = optionValue(args, 'resume');
  const result = withRepositories(settings, io, (repos) => importSync(repos, config, kind, fileSource(file, basename(file)), cliActor(io.env), Date.now, {
    mode, dryRun, ids: args.options.ids === true, onProgress: progressReporter(io),
    ...(encoding ? { encoding } : {}), ...(migration ? { migration } : {}), ...(resume ? { resume } : {}),
  }), { create: args.options['create-database'] === true && !dryRun, canCreate: !dryRun });
  io.out.write(`${summary(kind, result.mode, result)} (job ${result.jobId}, ${result.encoding})\n`);
  for (const e of result.errors) io.out.write(`  row ${e.row}${e.id ? ` (${e.id})` : ''}: ${e.code}${e.field ? ` ${e.field}` : ''}: ${e.message}\n`);
  if (result.errorsOmitted > 0) io.out.write(`  … and ${result.errorsOmitted} more refused rows (import.maxErrors lists ${config.import.maxErrors})\n`);
  if (result.createdIds) io.out.write(`created: ${result.createdIds.join(',')}\nupdated: ${result.updatedIds!.join(',')}\n`);
  if (result.migration) io.out.write(`accounts created are held by migration ${result.migration} until: feikong migration release ${result.migration}\n`);
  if (result.errors.some((e) => e.code === 'BUS_UNKNOWN')) {
    // The daemon checks meters against its configuration's buses, and so does the CLI: against the one it loaded.
    const buses = config.buses.map((b) => b.id).join(', ') || 'none';
    io.err.write(`feikong: meters are checked against the buses of the configuration the CLI loaded (${settings.source.file ?? 'no configuration file'}; buses: ${buses}); `
      + 'give it the daemon\'s own configuration with --config FILE or FEIKONG_CONFIG=FILE\n');
  }
  return result.refused > 0 ? 1 : 0;
}
