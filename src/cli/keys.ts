// `feikong keys create|revoke|list`: API keys on the configured database. The secret of a new key
// is printed once and never stored (only its SHA-256). Every change is audited with the CLI user.
import { ROLES, createApiKey, type Role } from '../http/auth.js';
import { parseArgs, optionValue, UsageError } from './args.js';
import { allPages, cliActor, cliSettings, withRepositories, type CliIo } from './context.js';

export const KEYS_HELP = `Usage: feikong keys <command> [options]

Commands:
  create --name NAME --role ROLE   create an API key; prints its secret once
                                   ROLE: ${ROLES.join(', ')}
  revoke ID                        revoke a key at once (the last active admin key is kept)
  list [--all]                     list active keys (--all: revoked ones too); never secrets

Options:
  --config FILE                    configuration file (default: FEIKONG_CONFIG)
  --create-database                create: make a new, empty database if there is none
                                   (otherwise a missing database is refused, naming its path)
  --help                           this text

The database used is named on stderr.
`;

export function keysCommand(argv: string[], io: CliIo): number {
  const args = parseArgs(argv, { name: 'value', role: 'value', all: 'flag', config: 'value', 'create-database': 'flag', help: 'flag' });
  const [sub, ...rest] = args.positionals;
  if (args.options.help || !sub) {
    io.out.write(KEYS_HELP);
    return args.options.help ? 0 : 2;
  }
  const settings = cliSettings(optionValue(args, 'config'), io);
  if (args.options['create-database'] && sub !== 'create') throw new UsageError('--create-database goes with keys create only');
  const actor = cliActor(io.env);
  const now = Date.now();
  switch (sub) {
    case 'create': {
      const name = optionValue(args, 'name');
      const role = optionValue(args, 'role');
      if (!name) throw new UsageError('keys create needs --name');
      if (!role || !(ROLES as readonly string[]).includes(role)) throw new UsageError(`keys create needs --role, one of ${ROLES.join(', ')}`);
      if (name.length > 100) throw new UsageError('--name is at most 100 characters');
      const key = withRepositories(settings, io, (repos) => repos.transaction(() => {
        const created = createApiKey(repos, name, role as Role, now);
        repos.journal.audit(actor, 'key-created', created.id, { name, role }, now);
        return created;
      }), { create: args.options['create-database'] === true, canCreate: true });
      io.out.write(`created key ${key.id} (${name}, ${role})\nsecret: ${key.secret}\n`);
      io.err.write('The secret is shown only now; store it safely. Use it as: Authorization: Bearer <secret>\n');
      return 0;
    }
    case 'revoke': {
      const id = rest[0];
      if (!id) throw new UsageError('keys revoke needs the key id (see: feikong keys list)');
      return withRepositories(settings, io, (repos) => repos.transaction(() => {
        const key = repos.journal.apiKey(id);
        if (!key) return fail(io, `no API key ${id}`);
        if (key.revokedAt !== null) return fail(io, `API key ${id} was already revoked`);
        if (key.role === 'admin' && repos.journal.activeAdminKeys() <= 1) return fail(io, 'this is the last active admin key; create another admin key first');
        repos.journal.revokeApiKey(id, now);
        repos.journal.audit(actor, 'key-revoked', id, { name: key.name, role: key.role }, now);
        io.out.write(`revoked key ${id} (${key.name}, ${key.role})\n`);
        return 0;
      }));
    }
    case 'list': {
      const rows = withRepositories(settings, io, (repos) => allPages((after, size) => repos.journal.apiKeys(after, !args.options.all, size)));
      io.out.write(`${'id'.padEnd(36)}  ${'role'.padEnd(9)}  ${'created'.padEnd(24)}  ${'revoked'.padEnd(24)}  name\n`);
      for (const k of rows) {
        const revoked = k.revokedAt === null ? '-' : new Date(k.revokedAt).toISOString();
        io.out.write(`${k.id.padEnd(36)}  ${k.role.padEnd(9)}  ${new Date(k.createdAt).toISOString().padEnd(24)}  ${revoked.padEnd(24)}  ${k.name}\n`);
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown keys command "${sub}" (create, revoke, list)`);
  }
}

function fail(io: CliIo, message: string): number {
  io.err.write(`feikong keys: ${message}\n`);
  return 1;
}
