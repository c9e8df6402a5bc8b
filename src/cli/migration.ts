// `feikong migration list|release NAME`: the migrations holding imported accounts (their alarms
// and the engine), and their release, on the configured database; the release is audited with
// the CLI's actor. A running daemon's engine finds released accounts at its next sweep.
import { releaseMigrationSync } from '../migration-hold.js';
import { parseArgs, optionValue, UsageError } from './args.js';
import { cliActor, cliSettings, withRepositories, type CliIo } from './context.js';

export const MIGRATION_HELP = `Usage: feikong migration list [--config FILE]
       feikong migration release NAME [--config FILE]

Accounts imported with --migration NAME (or migration=NAME on POST /v1/import/accounts) keep
their alarm state and are left alone by the cut-off/restore engine until their migration is
released. "list" shows the migrations holding accounts; "release" releases every account of one:
its alarm state is evaluated against its balance, and the engine takes it up again.
`;

export function migrationCommand(argv: string[], io: CliIo): number {
  const args = parseArgs(argv, { config: 'value', help: 'flag' });
  if (args.options.help) {
    io.out.write(MIGRATION_HELP);
    return 0;
  }
  const [action, name] = args.positionals;
  const settings = cliSettings(optionValue(args, 'config'), io);
  if (action === 'list') {
    const held = withRepositories(settings, io, (repos) => repos.imports.migrations());
    for (const m of held) io.out.write(`${m.name}  ${m.accounts} accounts held\n`);
    if (held.length === 0) io.out.write('no migration holds any account\n');
    return 0;
  }
  if (action !== 'release') throw new UsageError('migration needs "list" or "release NAME" (see: feikong migration --help)');
  if (!name) throw new UsageError('migration release needs the migration\'s name');
  const result = withRepositories(settings, io, (repos) => releaseMigrationSync(repos, name, cliActor(io.env), Date.now));
  io.out.write(`released ${result.released} accounts of migration ${result.migration}; ${result.alarmsRaised} of them at or below an alarm level\n`);
  return 0;
}
