// Shared pieces of the MQTT tests: accounts with meters behind concentrators, a real Mosquitto
// broker on a free loopback port (generated configuration, stopped by the test), and small
// database queries the assertions use.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Repositories } from '../../src/db/repo/index.js';
import type { Config } from '../../src/config/schema.js';
import { createAccount, createMeter } from '../../src/fleet.js';
import { postPayment } from '../../src/ledger/payments.js';
import { freePort } from '../helpers/net.js';

export const PRICE = '0.5000';

/** The address a concentrator uses for meter i (12 digits, like the DL/T 645 address it reads). */
export function address(i: number): string {
  return String(i).padStart(12, '0');
}

/**
 * Creates one account per meter (0.5 yuan/kWh, `balanceFen` paid in) and its meter behind
 * `concentratorId`; meter ids are `${concentratorId}-m${i}`, account ids `${concentratorId}-a${i}`.
 */
export function fleet(repos: Repositories, config: Config, concentratorId: string, meters: number, balanceFen = 100_000, now = Date.now()): string[] {
  const ids: string[] = [];
  for (let i = 1; i <= meters; i++) {
    const accountId = `${concentratorId}-a${i}`;
    createAccount(repos, config, { id: accountId, name: `Customer ${i}`, pricePerKwh: PRICE, alarmLevel1Fen: 0, alarmLevel2Fen: 0 }, 'test', now);
    if (balanceFen > 0) postPayment(repos, { accountId, channel: 'counter', channelTxnId: `open-${accountId}`, amountFen: balanceFen, paidAt: now, actor: 'test' }, now);
    createMeter(repos, config, { id: `${concentratorId}-m${i}`, accountId, protocol: 'mqtt', concentratorId, address: address(i) }, 'test', now);
    ids.push(`${concentratorId}-m${i}`);
  }
  return ids;
}

export function readingCount(repos: Repositories, meterId?: string): number {
  const row = meterId
    ? repos.db.prepare('SELECT COUNT(*) AS n FROM readings WHERE meter_id = ?').get(meterId)
    : repos.db.prepare('SELECT COUNT(*) AS n FROM readings').get();
  return (row as { n: number }).n;
}

/** Readings of a meter in the database: charged (in `readings`) or acknowledged and pending their charge. */
export function committedCount(repos: Repositories, meterId: string): number {
  const row = repos.db.prepare(`SELECT (SELECT COUNT(*) FROM readings WHERE meter_id = @id) + (SELECT COUNT(*) FROM pending_readings WHERE meter_id = @id) AS n`).get({ id: meterId });
  return Number((row as { n: number }).n);
}

export function consumptionFen(repos: Repositories, accountId: string): number {
  const row = repos.db.prepare(`SELECT COALESCE(-SUM(amount_fen), 0) AS fen FROM ledger_entries WHERE account_id = ? AND kind = 'consumption'`).get(accountId);
  return (row as { fen: number }).fen;
}

export function deadLetterCount(repos: Repositories): number {
  return (repos.db.prepare('SELECT COUNT(*) AS n FROM dead_letters').get() as { n: number }).n;
}

export interface Mosquitto {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts `mosquitto -c <generated conf>` on a free loopback port; resolves once it accepts
 * connections. Anonymous clients may do anything, unless `include` names a directory of
 * configuration that brings its own listener on `port` (what `feikong mqtt mosquitto` writes:
 * authentication and an ACL).
 */
export async function startMosquitto(include?: { dir: string; port: number }): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'feikong-mosquitto-'));
  const port = include?.port ?? await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    ...(include ? [`include_dir ${include.dir}`] : [`listener ${port} 127.0.0.1`, 'allow_anonymous true']),
    // Started by root, Mosquitto would read the included files as user "mosquitto", which may not
    // enter the test's private temporary directory.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    'persistence false',
    // Keep every unacknowledged message of an offline persistent session (the daemon while it restarts).
    'max_queued_messages 0',
    'max_inflight_messages 0',
    'log_dest stderr',
    'log_type error',
    '',
  ].join('\n'));
  // Debian installs it in /usr/sbin, which is not on every user's PATH.
  const binary = existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto';
  const child: ChildProcess = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${stderr}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mosquitto did not listen on ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
