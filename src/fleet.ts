// Creating accounts and meters (from the API or a seed file), with levels from configuration
// defaults unless given, and the default flat tariff.
import type { Repositories, AccountRow, MeterRow } from './db/repo/index.js';
import type { Config } from './config/schema.js';
import { AppError } from './errors.js';
import { parseTariff } from './domain/tariff.js';

export interface AccountInput {
  id: string;
  name: string;
  category?: string;
  creditGrade?: 'A' | 'B' | 'C' | 'D';
  protected?: boolean;
  pricePerKwh?: string;
  alarmLevel1Fen?: number;
  alarmLevel2Fen?: number;
  cutoffLevelFen?: number;
  restoreLevelFen?: number;
}

export interface MeterInput {
  id: string;
  accountId: string;
  protocol: 'dlt645';
  busId: string;
  address: string;
  supportsDirectClose?: boolean;
}

export function createAccount(repos: Repositories, config: Config, input: AccountInput, actor: string, now: number): AccountRow {
  const price = input.pricePerKwh ?? config.defaults.pricePerKwh;
  const definition = JSON.stringify({ kind: 'flat', pricePerKwh: price });
  try {
    parseTariff(definition);
  } catch (err) {
    throw new AppError('VALIDATION', (err as Error).message, { field: 'pricePerKwh' });
  }
  const tariffId = `flat-${price}`;
  const d = config.defaults;
  const levels = {
    alarmLevel1Fen: input.alarmLevel1Fen ?? d.alarmLevel1Fen,
    alarmLevel2Fen: input.alarmLevel2Fen ?? d.alarmLevel2Fen,
    cutoffLevelFen: input.cutoffLevelFen ?? d.cutoffLevelFen,
    restoreLevelFen: input.restoreLevelFen ?? d.restoreLevelFen,
  };
  if (!(levels.alarmLevel1Fen >= levels.alarmLevel2Fen && levels.alarmLevel2Fen >= levels.cutoffLevelFen && levels.restoreLevelFen >= levels.cutoffLevelFen)) {
    throw new AppError('VALIDATION', 'levels must satisfy alarmLevel1Fen ≥ alarmLevel2Fen ≥ cutoffLevelFen and restoreLevelFen ≥ cutoffLevelFen', { field: 'levels', levels });
  }
  return repos.transaction(() => {
    if (repos.accounts.get(input.id)) throw new AppError('CONFLICT', `account ${input.id} already exists`, { field: 'id' });
    repos.accounts.ensureTariff(tariffId, `flat ${price} yuan/kWh`, definition, now);
    repos.accounts.insert({
      id: input.id, name: input.name, category: input.category ?? 'residential', creditGrade: input.creditGrade ?? 'B',
      protected: input.protected ? 1 : 0, tariffId, ...levels, createdAt: now,
    });
    repos.journal.audit(actor, 'account-created', input.id, input, now);
    return repos.accounts.get(input.id)!;
  });
}

export function createMeter(repos: Repositories, config: Config, input: MeterInput, actor: string, now: number): MeterRow {
  if (!/^\d{12}$/.test(input.address)) throw new AppError('VALIDATION', `address "${input.address}" must be 12 decimal digits`, { field: 'address' });
  if (!config.buses.some((b) => b.id === input.busId)) {
    throw new AppError('BUS_UNKNOWN', `bus "${input.busId}" is not configured (configured: ${config.buses.map((b) => b.id).join(', ') || 'none'})`, { field: 'busId' });
  }
  return repos.transaction(() => {
    if (!repos.accounts.get(input.accountId)) throw new AppError('ACCOUNT_NOT_FOUND', `account ${input.accountId} does not exist`, { field: 'accountId' });
    if (repos.meters.get(input.id)) throw new AppError('CONFLICT', `meter ${input.id} already exists`, { field: 'id' });
    try {
      repos.meters.insert({
        id: input.id, accountId: input.accountId, protocol: input.protocol, busId: input.busId, address: input.address,
        supportsDirectClose: input.supportsDirectClose === false ? 0 : 1, createdAt: now,
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new AppError('CONFLICT', `address ${input.address} is already used on bus ${input.busId}`, { field: 'address' });
      }
      throw err;
    }
    repos.journal.audit(actor, 'meter-created', input.id, input, now);
    return repos.meters.get(input.id)!;
  });
}
