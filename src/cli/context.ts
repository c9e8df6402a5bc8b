// What every CLI command works on: the configuration (FEIKONG_CONFIG, --config, FEIKONG_* env)
// and the database under its dataDir (migrations applied; safe while the daemon runs: WAL).
import { userInfo } from 'node:os';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openConfiguredDatabase } from '../db/open.js';
import { createRepositories, type Repositories } from '../db/repo/index.js';

export interface CliIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export function cliConfig(configFile: string | undefined, io: CliIo): Config {
  return loadConfig({ file: configFile, env: io.env });
}

/** Opens the configured database, runs `fn`, and closes it again. */
export function withRepositories<T>(config: Config, fn: (repos: Repositories) => T): T {
  const db = openConfiguredDatabase(config);
  try {
    return fn(createRepositories(db));
  } finally {
    db.close();
  }
}

/** The identity the CLI writes to the audit trail: the operating-system user. */
export function cliActor(env: NodeJS.ProcessEnv): string {
  let user = env.USER ?? env.LOGNAME;
  try {
    user ??= userInfo().username;
  } catch {
    user ??= 'unknown';
  }
  return `cli:${user}`;
}
