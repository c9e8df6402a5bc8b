// Create-or-update of one account or meter, for imports in upsert mode: a row whose record does
// not exist is created; one that exists has the fields the row gives compared with what is stored
// and only those that differ changed (through the same update as PATCH, audited); a row that
// matches what is stored changes nothing. So running a file a second time is a no-op. An
// account's levels are compared as its own settings (money levels given as *Fen, levelOverrides),
// which is what is stored and what its levels are derived from (src/ledger/levels.ts).
// Fields an import cannot change on an existing record (what needs its own procedure: a tariff
// change from a date, a meter moved to another account) are refused with the way to do it.
import type { Repositories } from './db/repo/index.js';
import type { Config } from './config/schema.js';
import { AppError } from './errors.js';
import {
  createAccount, createMeter, updateAccount, updateMeter,
  type AccountInput, type AccountPatch, type CreateAccountOptions, type MeterInput, type MeterPatchInput,
} from './fleet.js';
import { postOpeningBalance } from './ledger/opening-balance.js';
import { LEVEL_NAMES, parseLevelOverrides, type LevelSpec } from './domain/thresholds.js';

export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

const ACCOUNT_FIELDS = ['name', 'category', 'creditGrade'] as const;

function fixed(field: string, id: string, how: string): AppError {
  return new AppError('VALIDATION', `${field} of the existing record ${id} differs from the file; an import does not change it (${how})`, { field });
}

export function upsertAccount(repos: Repositories, config: Config, input: AccountInput, actor: string, now: number, options: CreateAccountOptions = {}): UpsertOutcome {
  return repos.transaction(() => {
    const before = repos.accounts.get(input.id);
    if (!before) {
      createAccount(repos, config, input, actor, now, options);
      return 'created';
    }
    const tariffChanges = 'POST /v1/accounts/{id}/tariff-changes, from a date';
    if (input.tariffId !== undefined && input.tariffId !== before.tariffId) throw fixed('tariffId', input.id, tariffChanges);
    if (input.pricePerKwh !== undefined && `flat-${input.pricePerKwh}` !== before.tariffId) throw fixed('pricePerKwh', input.id, tariffChanges);
    const patch: AccountPatch = {};
    for (const field of ACCOUNT_FIELDS) {
      const value = input[field];
      if (value !== undefined && value !== before[field]) (patch as Record<string, unknown>)[field] = value;
    }
    if (input.protected !== undefined && (input.protected ? 1 : 0) !== before.protected) patch.protected = input.protected;
    // The account's own level settings the row gives (a money level as *Fen wins over levelOverrides,
    // as at creation), each compared with the setting stored.
    const stored = parseLevelOverrides(before.levelOverrides);
    const same = (a: LevelSpec | undefined, b: LevelSpec | undefined) => JSON.stringify(a) === JSON.stringify(b);
    for (const name of LEVEL_NAMES) {
      const fen = input[`${name}Fen`];
      const spec = input.levelOverrides?.[name];
      if (fen !== undefined) {
        if (!same({ fen }, stored[name])) patch[`${name}Fen`] = fen;
      } else if (spec !== undefined && !same(spec, stored[name])) {
        patch.levelOverrides = { ...patch.levelOverrides, [name]: spec };
      }
    }
    let changed = false;
    if (Object.keys(patch).length > 0) {
      updateAccount(repos, config, input.id, patch, actor, now);
      changed = true;
    }
    if (input.openingBalanceFen !== undefined && postOpeningBalance(repos, input.id, input.openingBalanceFen, options.openingActor ?? actor, now) === 'posted') changed = true;
    return changed ? 'updated' : 'unchanged';
  });
}

export function upsertMeter(repos: Repositories, config: Config, input: MeterInput, actor: string, now: number): UpsertOutcome {
  return repos.transaction(() => {
    const before = repos.meters.get(input.id);
    if (!before) {
      createMeter(repos, config, input, actor, now);
      return 'created';
    }
    if (input.accountId !== before.accountId) throw fixed('accountId', input.id, 'a meter moves to another account by deleting it and creating it again, once it has no history');
    if (input.protocol !== before.protocol) throw fixed('protocol', input.id, 'a meter of another protocol is another meter: give it its own id');
    if ((input.concentratorId ?? null) !== before.concentratorId && before.protocol === 'mqtt') {
      throw fixed('concentratorId', input.id, 'a meter moves to another concentrator by deleting it and creating it again, once it has no history');
    }
    if (input.registerMap !== undefined && input.registerMap !== before.registerMap) throw fixed('registerMap', input.id, 'a meter of another model is another meter: give it its own id');
    const patch: MeterPatchInput = {};
    if (input.busId !== undefined && input.busId !== before.busId) patch.busId = input.busId;
    if (input.address !== before.address) patch.address = input.address;
    if (input.supportsDirectClose !== undefined && (input.supportsDirectClose ? 1 : 0) !== before.supportsDirectClose) patch.supportsDirectClose = input.supportsDirectClose;
    if (input.edition !== undefined && input.edition !== before.edition) patch.edition = input.edition;
    if (input.profile !== undefined && input.profile !== before.profile) patch.profile = input.profile;
    // 0x1C credentials: compared with the meter's own, never shown.
    if (input.passwordLevel !== undefined || input.password !== undefined || input.operatorCode !== undefined) {
      const own = repos.meters.credentialsOf(input.id)!;
      if (input.passwordLevel !== undefined && input.passwordLevel !== own.passwordLevel) patch.passwordLevel = input.passwordLevel;
      if (input.password !== undefined && input.password.toUpperCase() !== own.password) patch.password = input.password;
      if (input.operatorCode !== undefined && input.operatorCode.toUpperCase() !== own.operatorCode) patch.operatorCode = input.operatorCode;
    }
    if (Object.keys(patch).length === 0) return 'unchanged';
    updateMeter(repos, config, input.id, patch, actor, now);
    return 'updated';
  });
}
