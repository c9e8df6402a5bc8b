// The migration hold: accounts imported in migration mode (`migration=<name>` on an import) keep
// their alarm state where it was and the engine leaves their supply alone, so readings that arrive
// before the opening balances (or before the operator has checked the load) do not send the fleet
// into alarm or cut it off. An operator releases a migration by name; each account's alarm state
// is then evaluated against its balance (its events raised once, as a ledger entry would) and the
// engine looks at it again.
//
//   import (migration=M) ─▶ accounts.migration = M ─▶ no alarm changes, not in the engine's sweep
//   release M ─▶ pages of accounts: migration = NULL, alarms evaluated ─▶ audit ─▶ engine told
import type { Repositories } from './db/repo/index.js';
import { AppError } from './errors.js';
import { evaluateAlarms } from './ledger/ledger.js';

/** A migration's name: what an operator types to release it. */
export const MIGRATION_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
export const MIGRATION_NAME_WORDS = '1 to 64 letters, digits, underscores, dots, colons or hyphens';

/** Accounts released per transaction. */
const PAGE = 1000;

export interface MigrationRelease {
  migration: string;
  released: number;
  /** accounts whose alarm state moved on release */
  alarmsRaised: number;
}

export function checkMigrationName(name: string, field = 'migration'): void {
  if (!MIGRATION_NAME.test(name)) throw new AppError('VALIDATION', `${field} "${name}" must be ${MIGRATION_NAME_WORDS}`, { field });
}

/**
 * Releases every account the migration holds, a page per transaction (a page's accounts released
 * and their alarms evaluated together), then audits the release. `released` is told each page's
 * account ids after it commits (the engine evaluates them). Yields between pages.
 */
function* releaseSteps(repos: Repositories, migration: string, actor: string, now: () => number,
  released: (accountIds: string[]) => void): Generator<void, MigrationRelease> {
  checkMigrationName(migration);
  if (!repos.imports.migrations().some((m) => m.name === migration)) {
    throw new AppError('NOT_FOUND', `no account is held by migration "${migration}" (held: ${repos.imports.migrations().map((m) => m.name).join(', ') || 'none'})`, { field: 'migration' });
  }
  const result: MigrationRelease = { migration, released: 0, alarmsRaised: 0 };
  for (;;) {
    // Always from the start: released accounts leave the set.
    const ids = repos.imports.heldAfter(migration, '', PAGE);
    if (ids.length === 0) break;
    const at = now();
    repos.transaction(() => {
      for (const id of ids) {
        if (!repos.imports.release(id, migration)) continue;
        const account = repos.accounts.get(id)!;
        if (evaluateAlarms(repos, account, account, account.balanceFen, at).length > 0) result.alarmsRaised++;
        result.released++;
      }
    });
    released(ids);
    yield;
  }
  repos.transaction(() => repos.journal.audit(actor, 'migration-released', migration, { released: result.released, alarmsRaised: result.alarmsRaised }, now()));
  return result;
}

/** Releases a migration at once (the CLI). */
export function releaseMigrationSync(repos: Repositories, migration: string, actor: string, now: () => number): MigrationRelease {
  const steps = releaseSteps(repos, migration, actor, now, () => {});
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Releases a migration, giving the event loop a turn between pages (the daemon). */
export async function releaseMigration(repos: Repositories, migration: string, actor: string, now: () => number,
  released: (accountIds: string[]) => void = () => {}): Promise<MigrationRelease> {
  const steps = releaseSteps(repos, migration, actor, now, released);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
