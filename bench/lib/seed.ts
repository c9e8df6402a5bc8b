// Seeds a data directory for a benchmark: the schema through the committed migrations
// (openDatabase), then accounts, one meter each behind concentrators, an opening ledger entry per
// account so balances equal their ledger, and API keys, in one bulk transaction.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/connection.js';
import { createRepositories } from '../../src/db/repo/index.js';
import { createApiKey } from '../../src/http/auth.js';

export const METERS_PER_CONCENTRATOR = 256;
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

/** Creates `accounts` accounts with one closed-relay concentrator meter each; `accounts` may be 0. */
export function seedFleet(dataDir: string, accounts: number): Seeded {
  const t0 = performance.now();
  const db = openDatabase(dataDir);
  const repos = createRepositories(db);
  const now = Date.now();
  const tariffId = 'flat-0.5283';
  repos.accounts.ensureTariff(tariffId, 'flat 0.5283 yuan/kWh', JSON.stringify({ kind: 'flat', pricePerKwh: '0.5283' }), now);
  const keys = {
    readOnly: createApiKey(repos, 'bench-read-only', 'read-only', now).secret,
    billing: createApiKey(repos, 'bench-billing', 'billing', now).secret,
    admin: createApiKey(repos, 'bench-admin', 'admin', now).secret,
  };
  const insAccount = db.prepare(`INSERT INTO accounts (id, name, category, credit_grade, protected, tariff_id, balance_fen,
    alarm_level1_fen, alarm_level2_fen, cutoff_level_fen, restore_level_fen, created_at)
    VALUES (?, ?, 'residential', 'B', 0, ?, ?, 2000, 1000, 0, 0, ?)`);
  const insLedger = db.prepare(`INSERT INTO ledger_entries (account_id, kind, amount_fen, balance_after_fen, reason, actor, created_at)
    VALUES (?, 'adjustment', ?, ?, 'opening balance', 'bench-seed', ?)`);
  const insConcentrator = db.prepare(`INSERT INTO concentrators (id, status, created_at) VALUES (?, 'online', ?)`);
  const insMeter = db.prepare(`INSERT INTO meters (id, account_id, protocol, address, concentrator_id, relay_state, relay_state_at, created_at)
    VALUES (?, ?, 'mqtt', ?, ?, 'closed', ?, ?)`);
  db.transaction(() => {
    for (let i = 0; i < accounts; i++) {
      const a = accountId(i);
      const m = meterId(i);
      const c = Math.floor(i / METERS_PER_CONCENTRATOR);
      if (i % METERS_PER_CONCENTRATOR === 0) insConcentrator.run(`dcu-${c}`, now);
      insAccount.run(a, `Customer ${i}`, tariffId, OPENING_BALANCE_FEN, now);
      insLedger.run(a, OPENING_BALANCE_FEN, OPENING_BALANCE_FEN, now);
      insMeter.run(m, a, m, `dcu-${c}`, now, now);
    }
  }).immediate();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { accounts, keys, seedMs: performance.now() - t0 };
}
