// Tariffs in the database: defining one, changing an account's tariff from a given time
// (tariff_assignments), and the account's schedule that consumption charging reads. A change
// takes effect at its time and never re-prices what was already charged, so it may not start
// before now or before the account's latest reading.
import type { Repositories, AccountRow } from '../db/repo/index.js';
import { AppError } from '../errors.js';
import { constraintViolation } from '../db/database.js';
import { definitionFault, parseTariff, validateTariff, type Tariff } from '../domain/tariff.js';
import { scheduleOf, type Assignment } from '../domain/tariff-schedule.js';

/** Parsed definitions by their JSON text (definitions never change once stored). */
const parsed = new Map<string, Tariff>();
const PARSED_MAX = 10_000;

function parseCached(definition: string): Tariff {
  let tariff = parsed.get(definition);
  if (!tariff) {
    tariff = parseTariff(definition);
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(definition, tariff);
  }
  return tariff;
}

/** Tariffs by id, per database: a stored tariff never changes (defineTariff refuses to), so a hit is always right. */
const byId = new WeakMap<object, Map<string, Tariff>>();

function tariffOf(repos: Repositories, tariffId: string): Tariff | undefined {
  let known = byId.get(repos.db);
  if (!known) byId.set(repos.db, (known = new Map()));
  let tariff = known.get(tariffId);
  if (!tariff) {
    const definition = repos.accounts.tariffDefinition(tariffId);
    if (definition === undefined) return undefined;
    tariff = parseCached(definition);
    if (known.size >= PARSED_MAX) known.clear();
    known.set(tariffId, tariff);
  }
  return tariff;
}

/** The account's tariffs over time: its own tariff, then every assignment in time order. */
export function scheduleForAccount(repos: Repositories, account: AccountRow): Assignment[] {
  const tariff = tariffOf(repos, account.tariffId);
  if (tariff === undefined) throw new RangeError(`tariff ${account.tariffId} of account ${account.id} does not exist`);
  const later = repos.tariffs.assignments(account.id).map((a) => ({ from: a.effectiveFrom, tariffId: a.tariffId, tariff: parseCached(a.definition) }));
  return scheduleOf({ tariffId: account.tariffId, tariff }, later);
}

/** Stores a tariff definition under an id; the same id with another definition is a conflict. */
export function defineTariff(repos: Repositories, id: string, name: string, definition: unknown, actor: string, now: number): Tariff {
  let tariff: Tariff;
  try {
    tariff = validateTariff(definition);
  } catch (err) {
    const fault = definitionFault(err, 'definition');
        throw new AppError('VALIDATION', fault.message, { field: fault.field });
  }
  const json = JSON.stringify(tariff);
  return repos.transaction(() => {
    const existing = repos.tariffs.get(id);
    if (existing && existing.definition !== json) {
      throw new AppError('CONFLICT', `tariff ${id} exists with another definition; a tariff never changes, define a new one`, { field: 'id' });
    }
    if (!existing) {
      repos.tariffs.insert(id, name, json, now);
      repos.journal.audit(actor, 'tariff-defined', id, tariff, now);
    }
    return tariff;
  });
}

export interface TariffChange {
  accountId: string;
  tariffId: string;
  effectiveFrom: number;
  actor: string;
}

/** Changes an account's tariff from `effectiveFrom` (not in the past, not before its latest reading). */
export function assignTariff(repos: Repositories, change: TariffChange, now: number): void {
  repos.transaction(() => {
    if (!repos.accounts.get(change.accountId)) throw new AppError('ACCOUNT_NOT_FOUND', `account ${change.accountId} does not exist`);
    if (!repos.tariffs.get(change.tariffId)) throw new AppError('NOT_FOUND', `tariff ${change.tariffId} does not exist`, { field: 'tariffId' });
    const latestReading = repos.tariffs.latestReadingAt(change.accountId);
    const earliest = Math.max(now, latestReading === null ? now : latestReading + 1);
    if (change.effectiveFrom < earliest) {
      throw new AppError('VALIDATION', `a tariff change takes effect at ${new Date(earliest).toISOString()} at the earliest ` +
        '(now, and after the latest reading): charges already made are never re-priced', { field: 'effectiveFrom' });
    }
    try {
      repos.tariffs.insertAssignment(change.accountId, change.effectiveFrom, change.tariffId, change.actor, now);
    } catch (err) {
      // The key (account, time) is taken.
      if (constraintViolation(err) === 'primary-key') {
        throw new AppError('CONFLICT', `account ${change.accountId} already has a tariff change at that time`, { field: 'effectiveFrom' });
      }
      throw err;
    }
    repos.journal.appendEvent('tariff-changed', change.accountId, null, { tariffId: change.tariffId, effectiveFrom: change.effectiveFrom }, now);
    repos.journal.audit(change.actor, 'tariff-assigned', change.accountId, { tariffId: change.tariffId, effectiveFrom: change.effectiveFrom }, now);
  });
}
