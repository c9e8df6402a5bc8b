// Managing the fleet: creating, changing and deleting accounts and meters (from the API, the CLI,
// a seed file or a CSV import), with levels from configuration defaults unless given. Every change
// is audited with its actor; the input schemas here are also the HTTP API's request schemas.
import { Type, type Static } from '@sinclair/typebox';
import type { Repositories, AccountRow, MeterRow } from './db/repo/index.js';
import type { MeterPatch } from './db/repo/meters.js';
import { constraintViolation } from './db/database.js';
import { LevelOverridesSchema, busFraming, type Config } from './config/schema.js';
import { loadRegisterMap, registerMapNames, registerMapsDirectory } from './registermaps.js';
import { loadProfile, profilesDirectory } from './profiles.js';
import { AppError } from './errors.js';
import { parseTariff } from './domain/tariff.js';
import { LEVEL_NAMES, resolveLevels, validateLevelOverrides, type LevelOverrides, type Levels } from './domain/thresholds.js';
import { deriveLevels } from './ledger/levels.js';
import { closeArrearsReview } from './engine/reviews.js';
import { checkAddress } from './address-rules.js';
import { evaluateAlarms } from './ledger/ledger.js';
import { postOpeningBalance } from './ledger/opening-balance.js';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const Fen = Type.Integer({ minimum: -1_000_000_000_000, maximum: 1_000_000_000_000, description: 'money in fen (0.01 yuan)' });
export const CreditGrade = Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('C'), Type.Literal('D')]);

const levelFields = {
  alarmLevel1Fen: Type.Optional(Fen),
  alarmLevel2Fen: Type.Optional(Fen),
  cutoffLevelFen: Type.Optional(Fen),
  restoreLevelFen: Type.Optional(Fen),
};

export const AccountInputSchema = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  creditGrade: Type.Optional(CreditGrade),
  protected: Type.Optional(Type.Boolean({ description: 'never cut automatically; a manual review instead' })),
  pricePerKwh: Type.Optional(Type.String({ pattern: '^\\d{1,4}(\\.\\d{1,6})?$', description: 'yuan per kWh of a flat tariff' })),
  tariffId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'a defined tariff (flat, tiered or time-of-use) instead of pricePerKwh' })),
  levelOverrides: Type.Optional(LevelOverridesSchema),
  ...levelFields,
  openingBalanceFen: Type.Optional(Type.Integer({
    minimum: -1_000_000_000_000, maximum: 1_000_000_000_000,
    description: "balance carried over from the previous system, in fen: written as the account's one opening-balance ledger entry (not a payment; set once per account)",
  })),
}, { additionalProperties: false });

const LevelSpecOrNull = Type.Union([
  Type.Object({ fen: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000 }) }, { additionalProperties: false }),
  Type.Object({ days: Type.Number({ minimum: -365, maximum: 365 }) }, { additionalProperties: false }),
  Type.Null(),
], { description: 'the account\'s own setting of the level, in money or days of supply; null removes it (the category, grade or default applies again)' });

export const AccountPatchSchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  creditGrade: Type.Optional(CreditGrade),
  protected: Type.Optional(Type.Boolean()),
  levelOverrides: Type.Optional(Type.Object({
    alarmLevel1: Type.Optional(LevelSpecOrNull), alarmLevel2: Type.Optional(LevelSpecOrNull),
    cutoffLevel: Type.Optional(LevelSpecOrNull), restoreLevel: Type.Optional(LevelSpecOrNull),
  }, { additionalProperties: false, description: 'levels set for this account, merged into those it has; the levels are derived again at once' })),
  ...levelFields,
}, { additionalProperties: false, minProperties: 1 });

const Edition = Type.Union([Type.Literal('2007'), Type.Literal('1997'), Type.Literal('auto')], {
  description: "DL/T 645 edition the meter speaks; 'auto' = 2007, falling back to 1997 when a 2007 read gets no answer (default 2007)",
});
/** DL/T 645 fields of a meter: edition, reading profile and 0x1C credentials (write-only: never shown, never logged). */
const dlt645Fields = {
  edition: Type.Optional(Edition),
  profile: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]*$', description: "DL/T 645 reading profile (profiles/<name>.json); absent: the bus's default, else the edition's" })),
  passwordLevel: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(2), Type.Literal(4)], { description: "0x1C password level PA (write-only); absent: the bus's, else 2" })),
  password: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{6}$', description: "0x1C password, 6 hex digits (write-only); absent: the bus's, else 000000" })),
  operatorCode: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{8}$', description: "0x1C operator code, 8 hex digits (write-only); absent: the bus's, else 00000000" })),
};
/** Fields never written to the audit trail or a log. */
const SECRET_FIELDS = new Set(['password', 'operatorCode', 'passwordLevel']);

/** A copy of a meter input fit for the audit trail: credentials only as "set". */
function auditable(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, SECRET_FIELDS.has(k) ? '(set)' : v]));
}

export const MeterInputSchema = Type.Object({
  id: Id,
  accountId: Id,
  protocol: Type.Union([Type.Literal('dlt645'), Type.Literal('mqtt'), Type.Literal('modbus-rtu'), Type.Literal('modbus-tcp')], {
    description: 'dlt645, modbus-rtu: on a serial bus or DTU whose framing carries it (busId); modbus-tcp: on a modbus-tcp bus; mqtt: behind a concentrator (concentratorId)',
  }),
  busId: Type.Optional(Id),
  concentratorId: Type.Optional(Id),
  address: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'DL/T 645: the 12-digit address printed on the meter; Modbus: the unit id 1..247; mqtt: the meter id in its concentrator\'s messages, 12 DL/T 645 digits unless the concentrator\'s configuration (mqtt.concentrators.<id>.meterAddressRule) says otherwise' }),
  registerMap: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]*$', description: 'Modbus: the register map of the meter model (registermaps/<name>.json)' })),
  supportsDirectClose: Type.Optional(Type.Boolean({ description: 'false for meters that only know 0x1C N1=1B (close permitted)' })),
  ...dlt645Fields,
}, { additionalProperties: false });

export const MeterPatchSchema = Type.Object({
  busId: Type.Optional(Id),
  address: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'checked against the meter\'s protocol, as when it was created' })),
  supportsDirectClose: Type.Optional(Type.Boolean()),
  supportsKeepPower: Type.Optional(Type.Boolean()),
  ...dlt645Fields,
  profile: Type.Optional(Type.Union([dlt645Fields.profile, Type.Null()], { description: "DL/T 645 reading profile; null: back to the bus's default" })),
}, { additionalProperties: false, minProperties: 1 });

export type AccountInput = Static<typeof AccountInputSchema>;
export type AccountPatch = Static<typeof AccountPatchSchema>;
export type MeterInput = Static<typeof MeterInputSchema>;
export type MeterPatchInput = Static<typeof MeterPatchSchema>;

/** The account's own settings after `given` (a level in money per *Fen field, or settings; null removes one). */
function mergeOverrides(current: LevelOverrides, given: { levelOverrides?: Partial<Record<string, unknown>> } & Partial<Levels>): LevelOverrides {
  const next: Record<string, unknown> = { ...current };
  for (const [name, spec] of Object.entries(given.levelOverrides ?? {})) {
    if (spec === null) delete next[name];
    else if (spec !== undefined) next[name] = spec;
  }
  for (const name of LEVEL_NAMES) {
    const fen = given[`${name}Fen`];
    if (fen !== undefined) next[name] = { fen };
  }
  return validateLevelOverrides(next);
}

/** Money levels given for an account must be in order (levels in days are put in order as they move). */
function checkOverrides(config: Config, input: { category: string; creditGrade: string; overrides: LevelOverrides }): void {
  const { detail } = resolveLevels({ ...input, averageDailyChargeFen: null }, config);
  checkLevels({ alarmLevel1Fen: detail.alarmLevel1.fen, alarmLevel2Fen: detail.alarmLevel2.fen, cutoffLevelFen: detail.cutoffLevel.fen, restoreLevelFen: detail.restoreLevel.fen });
}

function checkLevels(levels: Levels): void {
  if (!(levels.alarmLevel1Fen >= levels.alarmLevel2Fen && levels.alarmLevel2Fen >= levels.cutoffLevelFen && levels.restoreLevelFen >= levels.cutoffLevelFen)) {
    throw new AppError('VALIDATION', 'levels must satisfy alarmLevel1Fen ≥ alarmLevel2Fen ≥ cutoffLevelFen and restoreLevelFen ≥ cutoffLevelFen', { field: 'levels', levels });
  }
}

/** How an account is created beyond its fields: by an import in migration mode, and who the opening balance is from. */
export interface CreateAccountOptions {
  /** the migration that holds the new account's alarms and the engine until released */
  migration?: string | null;
  /** actor of the opening-balance entry (default: the creating actor) */
  openingActor?: string;
}

export function createAccount(repos: Repositories, config: Config, input: AccountInput, actor: string, now: number, options: CreateAccountOptions = {}): AccountRow {
  if (input.tariffId !== undefined && input.pricePerKwh !== undefined) {
    throw new AppError('VALIDATION', 'give either tariffId or pricePerKwh, not both', { field: 'tariffId' });
  }
  const price = input.pricePerKwh ?? config.defaults.pricePerKwh;
  const definition = JSON.stringify({ kind: 'flat', pricePerKwh: price });
  try {
    parseTariff(definition);
  } catch (err) {
    throw new AppError('VALIDATION', (err as Error).message, { field: 'pricePerKwh' });
  }
  const tariffId = input.tariffId ?? `flat-${price}`;
  // The account's own settings (money levels given as *Fen, and levelOverrides); its levels are
  // derived from them with its category and credit grade (src/ledger/levels.ts).
  const category = input.category ?? 'residential';
  const creditGrade = input.creditGrade ?? 'B';
  const overrides = mergeOverrides({}, { ...input, levelOverrides: input.levelOverrides });
  checkOverrides(config, { category, creditGrade, overrides });
  const { levels } = resolveLevels({ category, creditGrade, overrides, averageDailyChargeFen: null }, config);
  return repos.transaction(() => {
    if (repos.accounts.get(input.id)) throw new AppError('CONFLICT', `account ${input.id} already exists`, { field: 'id' });
    if (input.tariffId !== undefined && !repos.tariffs.get(input.tariffId)) {
      throw new AppError('VALIDATION', `tariff ${input.tariffId} is not defined`, { field: 'tariffId' });
    }
    if (input.tariffId === undefined) repos.accounts.ensureTariff(tariffId, `flat ${price} yuan/kWh`, definition, now);
    repos.accounts.insert({
      id: input.id, name: input.name, category, creditGrade, protected: input.protected ? 1 : 0, tariffId, ...levels, createdAt: now,
      levelOverrides: Object.keys(overrides).length > 0 ? JSON.stringify(overrides) : null, levelsDerivedAt: now,
    });
    if (options.migration) repos.imports.holdAccount(input.id, options.migration);
    // The alarm state from the first moment: a new account below alarm level 1 is not "normal"
    // (an opening balance's entry evaluates it; a migration's hold leaves it for the release).
    if (input.openingBalanceFen !== undefined) postOpeningBalance(repos, input.id, input.openingBalanceFen, options.openingActor ?? actor, now);
    else {
      const created = repos.accounts.get(input.id)!;
      evaluateAlarms(repos, created, created, created.balanceFen, now);
    }
    repos.journal.audit(actor, 'account-created', input.id, input, now);
    return repos.accounts.get(input.id)!;
  });
}

/**
 * Changes an account's name, category, credit grade, protection or its own level settings, and
 * derives its levels again from them at once (src/ledger/levels.ts): a level newly reached is
 * raised (once) and one left behind re-armed, as a ledger entry would. Removing protection closes
 * the account's protected-arrears review, which no longer applies.
 */
export function updateAccount(repos: Repositories, config: Config, id: string, patch: AccountPatch, actor: string, now: number): AccountRow {
  return repos.transaction(() => {
    const before = repos.accounts.get(id);
    if (!before) throw new AppError('ACCOUNT_NOT_FOUND', `account ${id} does not exist`);
    let overrides: LevelOverrides;
    try {
      overrides = mergeOverrides(JSON.parse(before.levelOverrides ?? '{}') as LevelOverrides, patch as Parameters<typeof mergeOverrides>[1]);
    } catch (err) {
      throw new AppError('VALIDATION', (err as Error).message, { field: 'levelOverrides' });
    }
    const next = {
      name: patch.name ?? before.name, category: patch.category ?? before.category, creditGrade: patch.creditGrade ?? before.creditGrade,
      protected: patch.protected === undefined ? before.protected : patch.protected ? 1 : 0,
      levelOverrides: Object.keys(overrides).length > 0 ? JSON.stringify(overrides) : null,
    };
    checkOverrides(config, { category: next.category, creditGrade: next.creditGrade, overrides });
    repos.accounts.update(id, next);
    const changed = Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, { from: (before as unknown as Record<string, unknown>)[k], to: v }]));
    repos.journal.audit(actor, 'account-updated', id, changed, now);
    if (before.protected === 1 && next.protected === 0) closeArrearsReview(repos, id, `protection removed by ${actor}`, now);
    deriveLevels(repos, repos.accounts.get(id)!, config, now);
    return repos.accounts.get(id)!;
  });
}

/** Deletes an account that never had money or meters; anything with history is kept (409). */
export function deleteAccount(repos: Repositories, id: string, actor: string, now: number): void {
  repos.transaction(() => {
    if (!repos.accounts.get(id)) throw new AppError('ACCOUNT_NOT_FOUND', `account ${id} does not exist`);
    const usage = repos.accounts.usage(id);
    if (usage.ledgerEntries > 0 || usage.payments > 0) {
      throw new AppError('CONFLICT', `account ${id} has ${usage.ledgerEntries} ledger entries; an account with money history is kept`, usage);
    }
    if (usage.meters > 0) throw new AppError('CONFLICT', `account ${id} still has ${usage.meters} meter(s); delete or move them first`, usage);
    try {
      repos.accounts.delete(id);
    } catch (err) {
      if (constraintViolation(err) === 'foreign-key') throw new AppError('CONFLICT', `account ${id} is still referenced (tariff assignments)`);
      throw err;
    }
    repos.journal.audit(actor, 'account-deleted', id, {}, now);
  });
}

function checkBus(config: Config, busId: string): void {
  if (!config.buses.some((b) => b.id === busId)) {
    throw new AppError('BUS_UNKNOWN', `bus "${busId}" is not configured (configured: ${config.buses.map((b) => b.id).join(', ') || 'none'})`, { field: 'busId' });
  }
}

function uniqueAddress<T>(fn: () => T, address: string, busId: string | null): T {
  try {
    return fn();
  } catch (err) {
    if (constraintViolation(err) === 'unique') {
      throw new AppError('CONFLICT', `address ${address} is already used on bus ${busId}`, { field: 'address' });
    }
    throw err;
  }
}

/** A bus carries the frame formats of its `framing` (serial lines and DTUs) or Modbus TCP (modbus-tcp endpoints). */
function checkFraming(config: Config, busId: string, protocol: string): void {
  const bus = config.buses.find((b) => b.id === busId)!;
  const carries = busFraming(bus);
  if (!(carries as readonly string[]).includes(protocol)) {
    throw new AppError('VALIDATION', `bus "${busId}" carries ${carries.join(', ')}, not ${protocol}`, { field: 'busId' });
  }
}

/** A register map that exists and is valid. */
function checkModbusMeter(config: Config, input: MeterInput): void {
  if (!input.registerMap) throw new AppError('VALIDATION', `a ${input.protocol} meter needs a registerMap`, { field: 'registerMap' });
  const dir = registerMapsDirectory(config.modbus.registerMapsDir);
  if (!registerMapNames(dir).includes(input.registerMap)) {
    throw new AppError('VALIDATION', `registerMap "${input.registerMap}" is not one of ${registerMapNames(dir).join(', ')}`, { field: 'registerMap' });
  }
  try {
    loadRegisterMap(dir, input.registerMap);
  } catch (err) {
    throw new AppError('VALIDATION', (err as Error).message, { field: 'registerMap' });
  }
}

/**
 * Edition, profile and credentials belong to DL/T 645 meters; a profile must exist, load without
 * error and be of the meter's edition ('auto' takes either).
 */
function checkDlt645Fields(config: Config, protocol: string, edition: '2007' | '1997' | 'auto',
  input: { edition?: string; profile?: string | null; passwordLevel?: number; password?: string; operatorCode?: string }): void {
  if (protocol !== 'dlt645') {
    for (const field of ['edition', 'profile', 'passwordLevel', 'password', 'operatorCode'] as const) {
      if (input[field] !== undefined && input[field] !== null) throw new AppError('VALIDATION', `${field} is for DL/T 645 meters, not ${protocol}`, { field });
    }
    return;
  }
  if (!input.profile) return;
  let profileEdition: string;
  try {
    profileEdition = loadProfile(profilesDirectory(config.polling.profilesDir), input.profile).edition;
  } catch (err) {
    throw new AppError('VALIDATION', `profile "${input.profile}": ${(err as Error).message}`, { field: 'profile' });
  }
  if (edition !== 'auto' && profileEdition !== edition) {
    throw new AppError('VALIDATION', `profile "${input.profile}" is for DL/T 645-${profileEdition} meters; this meter's edition is ${edition}`, { field: 'profile' });
  }
}

export function createMeter(repos: Repositories, config: Config, input: MeterInput, actor: string, now: number): MeterRow {
  const busId = input.protocol === 'mqtt' ? null : input.busId ?? '';
  const concentratorId = input.protocol === 'mqtt' ? input.concentratorId ?? '' : null;
  if (concentratorId === '' || (busId === null && input.busId)) throw new AppError('VALIDATION', 'a meter behind a concentrator (protocol mqtt) needs concentratorId and no busId', { field: 'concentratorId' });
  if (busId !== null && input.concentratorId) throw new AppError('VALIDATION', `protocol ${input.protocol} has no concentratorId`, { field: 'concentratorId' });
  const modbus = input.protocol === 'modbus-rtu' || input.protocol === 'modbus-tcp';
  // Every protocol's address rule, a concentrator's meters included (src/address-rules.ts).
  checkAddress(config, input.protocol, concentratorId, input.address);
  if (busId !== null) checkBus(config, busId);
  if (busId !== null) checkFraming(config, busId, input.protocol);
  if (modbus) checkModbusMeter(config, input);
  else if (input.registerMap !== undefined) throw new AppError('VALIDATION', `protocol ${input.protocol} has no register map`, { field: 'registerMap' });
  checkDlt645Fields(config, input.protocol, input.edition ?? '2007', input);
  return repos.transaction(() => {
    if (!repos.accounts.get(input.accountId)) throw new AppError('ACCOUNT_NOT_FOUND', `account ${input.accountId} does not exist`, { field: 'accountId' });
    if (repos.meters.get(input.id)) throw new AppError('CONFLICT', `meter ${input.id} already exists`, { field: 'id' });
    uniqueAddress(() => repos.meters.insert({
      id: input.id, accountId: input.accountId, protocol: input.protocol, busId, concentratorId, address: input.address,
      registerMap: modbus ? input.registerMap ?? null : null, supportsDirectClose: input.supportsDirectClose === false ? 0 : 1, createdAt: now,
      edition: input.edition ?? '2007', profile: input.profile ?? null,
    }), input.address, busId ?? `concentrator ${concentratorId}`);
    if (input.passwordLevel !== undefined || input.password !== undefined || input.operatorCode !== undefined) {
      repos.meters.setCredentials(input.id, {
        passwordLevel: input.passwordLevel ?? null, password: input.password?.toUpperCase() ?? null, operatorCode: input.operatorCode?.toUpperCase() ?? null,
      });
    }
    repos.journal.audit(actor, 'meter-created', input.id, auditable(input), now);
    return repos.meters.get(input.id)!;
  });
}

export function updateMeter(repos: Repositories, config: Config, id: string, patch: MeterPatchInput, actor: string, now: number): MeterRow {
  if (patch.busId !== undefined) checkBus(config, patch.busId);
  return repos.transaction(() => {
    const before = repos.meters.get(id);
    if (!before) throw new AppError('METER_NOT_FOUND', `meter ${id} does not exist`);
    if (patch.address !== undefined) checkAddress(config, before.protocol, before.concentratorId, patch.address);
    if (patch.busId !== undefined) {
      if (before.protocol === 'mqtt') throw new AppError('VALIDATION', 'a meter behind a concentrator (protocol mqtt) has no busId', { field: 'busId' });
      checkFraming(config, patch.busId, before.protocol);
    }
    const profile = patch.profile === undefined ? before.profile : patch.profile;
    checkDlt645Fields(config, before.protocol, patch.edition ?? before.edition, { ...patch, profile: profile ?? undefined });
    const change: MeterPatch = {};
    if (patch.busId !== undefined) change.busId = patch.busId;
    if (patch.address !== undefined) change.address = patch.address;
    if (patch.edition !== undefined) change.edition = patch.edition;
    if (patch.profile !== undefined) change.profile = patch.profile;
    if (patch.passwordLevel !== undefined || patch.password !== undefined || patch.operatorCode !== undefined) {
      const own = repos.meters.credentialsOf(id)!;
      repos.meters.setCredentials(id, {
        passwordLevel: patch.passwordLevel ?? own.passwordLevel, password: patch.password?.toUpperCase() ?? own.password,
        operatorCode: patch.operatorCode?.toUpperCase() ?? own.operatorCode,
      });
    }
    if (patch.supportsDirectClose !== undefined) change.supportsDirectClose = patch.supportsDirectClose ? 1 : 0;
    if (patch.supportsKeepPower !== undefined) change.supportsKeepPower = patch.supportsKeepPower ? 1 : 0;
    uniqueAddress(() => repos.meters.update(id, change), patch.address ?? before.address, patch.busId ?? before.busId);
    const changed = Object.fromEntries(Object.entries(patch).map(([k, v]) => [k,
      SECRET_FIELDS.has(k) ? '(changed)' : { from: (before as unknown as Record<string, unknown>)[k], to: v }]));
    repos.journal.audit(actor, 'meter-updated', id, changed, now);
    return repos.meters.get(id)!;
  });
}

/** Deletes a meter that has no readings, commands or charges; a meter with history is kept (409). */
export function deleteMeter(repos: Repositories, id: string, actor: string, now: number): void {
  repos.transaction(() => {
    if (!repos.meters.get(id)) throw new AppError('METER_NOT_FOUND', `meter ${id} does not exist`);
    const history = repos.meters.history(id);
    if (history.readings + history.commands + history.ledgerEntries > 0) {
      throw new AppError('CONFLICT', `meter ${id} has history (${history.readings} readings, ${history.commands} commands); a meter with history is kept`, history);
    }
    repos.meters.delete(id);
    repos.journal.audit(actor, 'meter-deleted', id, {}, now);
  });
}
