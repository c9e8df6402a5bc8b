// `feikong config show`: the effective configuration (file + FEIKONG_* environment + defaults) as
// JSON, with secrets masked: keys that name a secret, and passwords inside URLs.
import type { Config } from '../config/schema.js';
import { parseArgs, optionValue, UsageError } from './args.js';
import { cliConfig, type CliIo } from './context.js';

export const CONFIG_HELP = `Usage: feikong config show [options]

Prints the effective configuration (file, FEIKONG_* environment variables and defaults) as JSON,
with secrets masked.

Options:
  --config FILE    configuration file (default: FEIKONG_CONFIG)
  --help           this text
`;

const SECRET_KEY = /(secret|password|passphrase|token|credential|apikey|api_key|privatekey|operatorcode)/i;
export const MASK = '********';

/** A copy of `value` with secret-named keys masked and URL passwords replaced. */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key) && value !== undefined && value !== null && value !== '') return MASK;
  if (typeof value === 'string') return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/i, `$1:${MASK}@`);
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  }
  return value;
}

export function configCommand(argv: string[], io: CliIo): number {
  const args = parseArgs(argv, { config: 'value', help: 'flag' });
  const [sub] = args.positionals;
  if (args.options.help) {
    io.out.write(CONFIG_HELP);
    return 0;
  }
  if (sub !== 'show') throw new UsageError('config needs "show" (see: feikong config --help)');
  const config: Config = cliConfig(optionValue(args, 'config'), io);
  io.out.write(`${JSON.stringify(maskSecrets(config), null, 2)}\n`);
  return 0;
}
