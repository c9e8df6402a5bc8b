// Seeds a data directory for a benchmark: the schema through the committed migrations
// (openDatabase), then accounts, one meter each behind concentrators, an opening ledger entry per
// account so balances equal their ledger, API keys, and every concentrator's MQTT credential (user
// name = its id, all with BENCH_MQTT_PASSWORD), in one bulk transaction.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/connection.js';
import { createRepositories } from '../../src/db/repo/index.js';
import { createApiKey } from '../../src/http/auth.js';
import { hashMqttPassword } from '../../src/mqtt/password-hash.js';

export const METERS_PER_CONCENTRATOR = 256;
/** Every seeded concentrator's MQTT password (one hash for all: seeding a million meters stays quick). */
export const BENCH_MQTT_PASSWORD = 'bench-concentrator-password';

let benchHash: string | null = null;
/** The stored hash of BENCH_MQTT_PASSWORD, as the daemon stores any (src/mqtt/password-hash.ts). */
export function benchMqttPasswordHash(): string {
  return (benchHash ??= hashMqttPassword(BENCH_MQTT_PASSWORD));
}
export const OPENING_BALANCE_FEN = 10_000;

export function accountId(i: number): string {
  return `acc-${String(i).padStart(7, '0')}`;
}

export function meterId(i: number): string {
  return String(i).padStart(12, '0');
}

export function tempDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `feikong-bench-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Seeded {
  accounts: number;
  /** Bearer secrets by role */
  keys: { readOnly: string; billing: string; admin: string };
  seedMs: number;
}

/** A tariff every seeded account is on. */
export interface SeedTariff {
  id: string;
  name: string;
  definition: Record<string, unknown>;
}

export const FLAT_TARIFF: SeedTariff = { id: 'flat-0.5283', name: 'flat 0.5283 yuan/kWh', definition: { kind: 'flat', pricePerKwh: '0.5283' } };

/** Creates `accounts` accounts with one closed-relay concentrator meter each; `accounts` may be 0. */
export function seedFleet(dataDir: string, accounts: number, tariff: SeedTariff = FLAT_TARIFF): Seeded {
  const t0 = performance.now();
  const db = openDatabase(dataDir);
  // Seeding only: no fsync per commit; the checkpoint below writes the finished file once.
  db.pragma('synchronous = OFF');
  const repos = createRepositories(db);
  const now = Date.now();
  const tariffId = tariff.id;
  repos.accounts.ensureTariff(tariffId, tariff.name, JSON.stringify(tariff.definition), now);
  const keys = {
    readOnly: createApiKey(repos, 'bench-read-only', 'read-only', now).secret,
    billing: createApiKey(repos, 'bench-billing', 'billing', now).secret,
    admin: createApiKey(repos, 'bench-admin', 'admin', now).secret,
  };
  // Rows are generated inside SQLite (a counting CTE per concentrator's block of 256), so a million
  // accounts take seconds; the values are those of accountId(), meterId() and `dcu-${block}`, and
  // the tables' pages interleave block by block as they would row by row.
  const block = (insert: string) => db.prepare(`WITH RECURSIVE n(i) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) ${insert}`);
  const insConcentrator = db.prepare(`INSERT INTO concentrators (id, status, created_at) VALUES (?, 'online', ?)`);
  const insCredential = db.prepare(`INSERT INTO mqtt_credentials (id, concentrator_id, password_hash, created_at) VALUES (?, ?, ?, ?)`);
  const insAccounts = block(`INSERT INTO accounts (id, name, category, credit_grade, protected, tariff_id, balance_fen,
    alarm_level1_fen, alarm_level2_fen, cutoff_level_fen, restore_level_fen, created_at)
    SELECT printf('acc-%07d', i), 'Customer ' || i, 'residential', 'B', 0, ?, ?, 2000, 1000, 0, 0, ? FROM n`);
  const insLedger = block(`INSERT INTO ledger_entries (account_id, kind, amount_fen, balance_after_fen, reason, actor, created_at)
    SELECT printf('acc-%07d', i), 'adjustment', ?, ?, 'opening balance', 'bench-seed', ? FROM n`);
  const insMeters = block(`INSERT INTO meters (id, account_id, protocol, address, concentrator_id, relay_state, relay_state_at, created_at)
    SELECT printf('%012d', i), printf('acc-%07d', i), 'mqtt', printf('%012d', i), ?, 'closed', ?, ? FROM n`);
  db.transaction(() => {
    for (let from = 0; from < accounts; from += METERS_PER_CONCENTRATOR) {
      const to = Math.min(accounts, from + METERS_PER_CONCENTRATOR);
      const c = `dcu-${from / METERS_PER_CONCENTRATOR}`;
      insConcentrator.run(c, now);
      insCredential.run(`cred-${c}`, c, benchMqttPasswordHash(), now);
      insAccounts.run(from, to, tariffId, OPENING_BALANCE_FEN, now);
      insLedger.run(from, to, OPENING_BALANCE_FEN, OPENING_BALANCE_FEN, now);
      insMeters.run(from, to, c, now, now);
    }
  }).immediate();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { accounts, keys, seedMs: performance.now() - t0 };
}
