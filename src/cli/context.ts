// What every CLI command works on: the configuration (FEIKONG_CONFIG, --config, FEIKONG_* env)
// and the database it names (migrations applied; safe while the daemon runs: WAL), said on stderr
// and never created by accident (src/cli/database.ts).
import { userInfo } from 'node:os';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createRepositories, type Repositories } from '../db/repo/index.js';
import { openCliDatabase, type ConfigSource, type OpenOptions } from './database.js';

export interface CliIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** The configuration a command runs with, and where it came from (for messages). */
export interface CliSettings {
  config: Config;
  source: ConfigSource;
}

export function cliSettings(configFile: string | undefined, io: CliIo): CliSettings {
  const file = configFile ?? io.env.FEIKONG_CONFIG;
  return { config: loadConfig({ file, env: io.env }), source: { file: file || undefined, env: io.env } };
}

export function cliConfig(configFile: string | undefined, io: CliIo): Config {
  return cliSettings(configFile, io).config;
}

/** Opens the configured database (naming it on stderr), runs `fn`, and closes it again. */
export function withRepositories<T>(settings: CliSettings, io: CliIo, fn: (repos: Repositories) => T, options: OpenOptions = {}): T {
  const db = openCliDatabase(settings.config, settings.source, io.err, options);
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

/** Every row of a list read in keyset pages (oldest first, by creation time then id). */
export function allPages<T extends { createdAt: number; id: string }>(page: (after: { createdAt: number; id: string } | null, size: number) => T[], size = 500): T[] {
  const all: T[] = [];
  let after: { createdAt: number; id: string } | null = null;
  for (;;) {
    const rows = page(after, size);
    all.push(...rows);
    const last = rows[rows.length - 1];
    if (rows.length < size || !last) return all;
    after = { createdAt: last.createdAt, id: last.id };
  }
}
