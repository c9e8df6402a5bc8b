// Which database a CLI command works on. The CLI says it on stderr (stdout stays the command's
// own output), and refuses to create an empty SQLite database where none exists — a command run
// in the wrong directory, or without the daemon's configuration, would otherwise work on a new
// empty database and look as if the installation had lost its keys and accounts. Only a command
// that writes, given --create-database, creates one. A PostgreSQL database is never created here:
// the server refuses a connection to a database that does not exist.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { describeDatabase, openConfiguredDatabase } from '../db/open.js';
import type { Database } from '../db/database.js';

/** Where the configuration came from: the file (--config or FEIKONG_CONFIG) and the environment. */
export interface ConfigSource {
  file: string | undefined;
  env: NodeJS.ProcessEnv;
}

export class CliDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliDatabaseError';
  }
}

/** The SQLite database file under `dataDir`, as an absolute path. */
export function sqlitePath(config: Pick<Config, 'dataDir'>): string {
  return join(resolve(config.dataDir), 'feikong.db');
}

/** One line naming the database: the SQLite file, or the PostgreSQL server and database (no credentials). */
export function databaseLine(config: Pick<Config, 'dataDir' | 'database'>): string {
  if (config.database.url === undefined) return `SQLite ${sqlitePath(config)}`;
  const d = describeDatabase(config);
  return `PostgreSQL ${d.host ?? '?'}/${d.database ?? '?'}`;
}

function dataDirOrigin(source: ConfigSource): string {
  if (source.env.FEIKONG_DATA_DIR !== undefined) return 'dataDir from FEIKONG_DATA_DIR';
  if (source.file !== undefined) return `dataDir from ${source.file}, or its default ./data`;
  return 'dataDir is the default ./data, as no configuration file was given';
}

export interface OpenOptions {
  /** the command may create a missing SQLite database (it was given --create-database) */
  create?: boolean;
  /** the command takes --create-database: the refusal says so */
  canCreate?: boolean;
}

/**
 * Opens the configured database for a CLI command after writing which one it is to `err`.
 * Throws CliDatabaseError when the SQLite file does not exist (unless `create`) or the database
 * cannot be opened.
 */
export function openCliDatabase(config: Config, source: ConfigSource, err: NodeJS.WritableStream, options: OpenOptions = {}): Database {
  const line = databaseLine(config);
  if (config.database.url === undefined) {
    const path = sqlitePath(config);
    if (!existsSync(path) && !options.create) {
      const create = options.canCreate ? ' To create a new, empty database there, run the command again with --create-database.' : '';
      throw new CliDatabaseError(
        `no database at ${path} (${dataDirOrigin(source)}). ` +
        'Point the CLI at the daemon\'s database with --config FILE (the daemon\'s configuration file), FEIKONG_CONFIG=FILE, ' +
        'FEIKONG_DATA_DIR=DIR or FEIKONG_DATABASE__URL=postgres://…; the daemon creates its database when it first starts.' + create,
      );
    }
    err.write(`feikong: database: ${line}${existsSync(path) ? '' : ' (new, created now)'}\n`);
  } else {
    err.write(`feikong: database: ${line}\n`);
  }
  try {
    return openConfiguredDatabase(config);
  } catch (e) {
    throw new CliDatabaseError(`cannot open the database (${line}): ${(e as Error).message}`);
  }
}
