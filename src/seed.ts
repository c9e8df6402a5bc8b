// Loads accounts, meters and opening payments from a JSON seed file (the demo uses one). Entries
// that already exist are left alone, so a restart with the same seed changes nothing.
import { readFileSync } from 'node:fs';
import type { Repositories } from './db/repo/index.js';
import type { Config } from './config/schema.js';
import { createAccount, createMeter, type AccountInput, type MeterInput } from './fleet.js';
import { postPayment } from './ledger/payments.js';

export interface Seed {
  accounts?: Array<AccountInput & { openingBalanceFen?: number }>;
  meters?: MeterInput[];
}

export function loadSeed(repos: Repositories, config: Config, path: string, now: number): void {
  const seed = JSON.parse(readFileSync(path, 'utf8')) as Seed;
  for (const a of seed.accounts ?? []) {
    if (repos.accounts.get(a.id)) continue;
    const { openingBalanceFen, ...account } = a;
    createAccount(repos, config, account, 'seed', now);
    if (openingBalanceFen && openingBalanceFen > 0) {
      postPayment(repos, { accountId: a.id, channel: 'counter', channelTxnId: `seed-${a.id}`, amountFen: openingBalanceFen, paidAt: now, actor: 'seed' }, now);
    }
  }
  for (const m of seed.meters ?? []) {
    if (repos.meters.get(m.id)) continue;
    createMeter(repos, config, m, 'seed', now);
  }
}
