// A private PostgreSQL server for a test: initdb and postgres from the installed Debian server
// (/usr/lib/postgresql/<version>/bin), a fresh temporary directory holding the cluster and its
// unix socket, a free loopback port, trust authentication. Running as root, the cluster belongs
// to the `postgres` user and both programs run through `runuser`. `stop()` shuts the server down
// fast and removes the directory; a test process that exits or dies without stopping it takes its
// server down with it.
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './net.js';

const PG_ROOT = '/usr/lib/postgresql';
const SUPERUSER = 'postgres';

export interface TestPostgres {
  port: number;
  /** connection string of the server's `postgres` database */
  url: string;
  /** Creates an empty database and returns its connection string. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The bin directory of the newest installed server version. */
export function postgresBinDir(): string {
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT).filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'postgres')) && existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
    : [];
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  if (versions.length === 0) {
    throw new Error(`PostgreSQL is not installed (no ${PG_ROOT}/*/bin/postgres); the PostgreSQL tests need the Debian package ` +
      '`postgresql`: sudo apt-get update && sudo apt-get install -y postgresql');
  }
  return join(PG_ROOT, versions[0]!, 'bin');
}

const asRoot = process.getuid?.() === 0;

/** The command line as the cluster's owner: through runuser when this process is root. */
function asOwner(program: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', SUPERUSER, '--', program, ...args]] : [program, args];
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * The command line, run so that it is signalled when its parent dies: a test process killed
 * before `stop()` (a crashed or timed-out worker) takes its server down with it. Postgres itself
 * gets SIGINT (fast shutdown); runuser, in between as root, gets SIGTERM and passes it on.
 */
function diesWithParent(program: string, args: string[], signal: 'INT' | 'TERM'): [string, string[]] {
  return existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', signal, '--', program, ...args]] : [program, args];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Server settings (`-c name=value`) on top of the defaults. */
export type PostgresSettings = Record<string, string>;

export async function startPostgres(settings: PostgresSettings = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'feikong-pg-'));
  const data = join(dir, 'data');
  try {
    mkdirSync(data, { mode: 0o700 });
    if (asRoot) execFileSync('chown', ['-R', `${SUPERUSER}:`, dir]);
    const [initdb, initArgs] = asOwner(join(bin, 'initdb'), [
      '-D', data, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-instructions',
    ]);
    await promisify(execFile)(initdb, initArgs, { cwd: dir });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${describe(err)}`, { cause: err });
  }
  // The port may be taken between choosing it and binding it: try again with another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(bin, dir, data, await freePort(), settings);
    } catch (err) {
      if (attempt < 3 && err instanceof PortTaken) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
}

class PortTaken extends Error {}

async function launch(bin: string, dir: string, data: string, port: number, settings: PostgresSettings): Promise<TestPostgres> {
  const server = diesWithParent(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ], 'INT');
  const [program, args] = asRoot ? diesWithParent(...asOwner(...server), 'TERM') : server;
  const child: ChildProcess = spawn(program, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;

  // The postmaster itself (not runuser) gets the shutdown signals: SIGINT is a fast shutdown.
  const postmasterPid = (): number | undefined => {
    try {
      const pid = Number.parseInt(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]!, 10);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const signal = (sig: NodeJS.Signals) => {
    const pid = postmasterPid() ?? child.pid;
    try {
      if (pid !== undefined) process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  const onExit = () => {
    if (running()) signal('SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (!running()) {
      process.removeListener('exit', onExit);
      await exited;
      if (/could not bind|Address already in use/i.test(stderr)) throw new PortTaken(stderr);
      throw new Error(`postgres exited (${child.exitCode ?? child.signalCode}): ${stderr}`);
    }
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        signal('SIGQUIT');
        await exited;
        process.removeListener('exit', onExit);
        throw new Error(`postgres did not accept connections on ${port}: ${describe(err)}\n${stderr}`);
      }
      await sleep(50);
    }
  }

  let stopped: Promise<void> | undefined;
  return {
    port,
    url,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${name} is not a plain identifier`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://${SUPERUSER}@127.0.0.1:${port}/${name}`;
    },
    stop() {
      stopped ??= (async () => {
        if (running()) {
          signal('SIGINT');
          const slow = setTimeout(() => signal('SIGQUIT'), 5_000);
          await exited;
          clearTimeout(slow);
        }
        process.removeListener('exit', onExit);
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

function describe(err: unknown): string {
  if (err && typeof err === 'object' && 'stderr' in err && err.stderr) return String(err.stderr);
  return err instanceof Error ? err.message : String(err);
}
