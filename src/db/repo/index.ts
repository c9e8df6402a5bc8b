// The one module through which the daemon reaches the database (DESIGN.md "The shape of the code").
import type { Sqlite } from '../connection.js';
import { accountsRepository } from './accounts.js';
import { metersRepository } from './meters.js';
import { ledgerRepository } from './ledger.js';
import { commandsRepository } from './commands.js';
import { journalRepository } from './journal.js';

export function createRepositories(db: Sqlite) {
  return {
    db,
    accounts: accountsRepository(db),
    meters: metersRepository(db),
    ledger: ledgerRepository(db),
    commands: commandsRepository(db),
    journal: journalRepository(db),
    /** Runs `fn` in one IMMEDIATE transaction (one fsync at commit). */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
export type { AccountRow } from './accounts.js';
export type { MeterRow, RelayState } from './meters.js';
export type { CommandRow, CommandAction, CommandState } from './commands.js';
export type { PaymentRow, LedgerEntryRow, LedgerKind } from './ledger.js';
