// Reading profiles: what a DL/T 645 meter of one kind is asked at each poll — the energy register
// that is charged, the time-of-use registers, status words, instantaneous values, the prepaid
// registers, daily freezes and event counts — kept as data (profiles/*.json) and validated here,
// so a profile naming a data identifier the codec cannot decode is refused, naming the DI.
// Each entry carries the section of the standard it comes from.
//
//   JSON ─▶ shape (TypeBox) ─▶ every DI: hex of the edition's width, in the catalogue (2007
//   Appendix A) or the 1997 table, of the kind its slot needs ─▶ Profile
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Dlt645Error } from './errors.js';
import { DAILY_FROZEN_DEPTH_MAX, DAILY_FROZEN_FORWARD_ACTIVE_BASE, DAILY_FROZEN_TIME_BASE, catalogueEntry, type CatalogueEntry } from './catalogue.js';
import { format1997 } from './edition1997.js';

const Entry = Type.Object({
  di: Type.String({ pattern: '^[0-9A-Fa-f]+$', description: '8 hex digits (2007) or 4 (1997), most significant first' }),
  section: Type.String({ minLength: 5, description: 'where the standard defines it, e.g. "DL/T 645-2007 Appendix A, 电能量: 正向有功总电能"' }),
}, { additionalProperties: false });

export const ProfileSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]*$', description: 'the file name without .json' }),
  edition: Type.Union([Type.Literal('2007'), Type.Literal('1997')]),
  model: Type.String({ minLength: 1, description: 'the kind of meter the profile fits' }),
  source: Type.String({ minLength: 10, description: 'the standard (and edition) the data identifiers come from' }),
  notes: Type.Optional(Type.Array(Type.String())),
  /** The cumulative active energy register that is charged. */
  energy: Entry,
  /** Tariffs 1..4 (尖 峰 平 谷 by State Grid convention), all four or none. */
  tariffs: Type.Optional(Type.Array(Entry, { minItems: 4, maxItems: 4 })),
  /** Status words; status word 3 gives the relay state. Each is optional: many meters have none. */
  statusWords: Type.Optional(Type.Array(Entry, { maxItems: 7 })),
  /** Instantaneous and prepaid values: voltage, current, active power, power factor, frequency, remaining / overdraft amount. */
  values: Type.Optional(Type.Array(Entry, { maxItems: 16 })),
  /** Daily freezes (日冻结): the time and forward active energy of the latest; older ones follow by DI0. */
  dailyFrozen: Type.Optional(Type.Object({
    time: Entry,
    energy: Entry,
    depth: Type.Integer({ minimum: 1, maximum: DAILY_FROZEN_DEPTH_MAX, default: DAILY_FROZEN_DEPTH_MAX, description: 'freezes the meter keeps' }),
  }, { additionalProperties: false })),
  /** Event counts (power-down, programming, cover opened, trips, closes); a count that moves raises a meter event. */
  events: Type.Optional(Type.Array(Entry, { maxItems: 8 })),
}, { additionalProperties: false });

export type ProfileInput = Static<typeof ProfileSchema>;

/** One validated entry: the DI as a number and what the codec knows of it. */
export interface ProfileEntry {
  di: number;
  section: string;
  name: string;
}

export interface Profile {
  name: string;
  edition: '2007' | '1997';
  model: string;
  source: string;
  notes: string[];
  energy: ProfileEntry;
  tariffs: ProfileEntry[] | null;
  statusWords: ProfileEntry[];
  values: ProfileEntry[];
  dailyFrozen: { time: ProfileEntry; energy: ProfileEntry; depth: number } | null;
  events: ProfileEntry[];
}

/** Catalogue names a `values` entry may have: what live values are kept of (src/live-values.ts). */
export const VALUE_NAMES_2007: ReadonlySet<string> = new Set([
  'phaseAVoltage', 'phaseBVoltage', 'phaseCVoltage', 'voltageBlock',
  'phaseACurrent', 'phaseBCurrent', 'phaseCCurrent', 'currentBlock',
  'activePowerTotal', 'phaseAActivePower', 'phaseBActivePower', 'phaseCActivePower', 'activePowerBlock',
  'powerFactorTotal', 'phaseAPowerFactor', 'phaseBPowerFactor', 'phaseCPowerFactor', 'powerFactorBlock',
  'frequency', 'remainingAmount', 'overdraftAmount',
]);
const VALUE_NAMES_1997: ReadonlySet<string> = new Set([
  'phaseAVoltage', 'phaseBVoltage', 'phaseCVoltage', 'phaseACurrent', 'phaseBCurrent', 'phaseCCurrent',
  'activePowerTotal', 'phaseAActivePower', 'phaseBActivePower', 'phaseCActivePower', 'powerFactorTotal',
]);
const ENERGY_NAMES_2007: ReadonlySet<string> = new Set(['combinedActiveTotal', 'forwardActiveTotal']);
const EVENT_COUNT_NAMES: ReadonlySet<string> = new Set(['powerDownCount', 'programmingCount', 'coverOpenCount', 'tripCount', 'closeCount']);

function refuse(file: string, key: string, message: string): Dlt645Error {
  return new Dlt645Error('PROFILE_INVALID', `profile ${file}: key "${key}": ${message}`, { file, key });
}

interface Slot {
  key: string;
  accepts: (name: string, entry: CatalogueEntry | undefined) => boolean;
  what: string;
}

/**
 * Validates parsed JSON as the profile `expectedName` read from `file`. Throws PROFILE_INVALID
 * naming the file, the key and, for a DI the codec does not know, the DI.
 */
export function validateProfile(raw: unknown, file: string, expectedName: string): Profile {
  const value = Value.Default(ProfileSchema, structuredClone(raw));
  const errors = [...Value.Errors(ProfileSchema, value)];
  if (errors.length > 0) {
    const first = errors.sort((a, b) => b.path.length - a.path.length)[0]!;
    const key = first.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    throw refuse(file, key, `${first.message}${first.value === undefined ? '' : ` (got ${JSON.stringify(first.value)})`}`);
  }
  const input = value as ProfileInput;
  if (input.name !== expectedName) throw refuse(file, 'name', `must be the file name "${expectedName}" (got "${input.name}")`);
  const edition = input.edition;
  const width = edition === '2007' ? 8 : 4;

  const check = (entry: Static<typeof Entry>, key: string, slot: Slot): ProfileEntry => {
    if (entry.di.length !== width) throw refuse(file, `${key}.di`, `a DL/T 645-${edition} data identifier has ${width} hex digits (got "${entry.di}")`);
    const di = parseInt(entry.di, 16);
    const known = edition === '2007' ? catalogueEntry(di) : undefined;
    const name = edition === '2007' ? known?.name : format1997(di)?.name;
    if (name === undefined) throw refuse(file, `${key}.di`, `unknown data identifier ${entry.di.toUpperCase()}: not in the DL/T 645-${edition} table this codec decodes`);
    if (!slot.accepts(name, known)) throw refuse(file, `${key}.di`, `data identifier ${entry.di.toUpperCase()} (${name}) is not ${slot.what}`);
    return { di, section: entry.section, name };
  };
  const list = (entries: Static<typeof Entry>[] | undefined, key: string, slot: Slot): ProfileEntry[] => {
    const out = (entries ?? []).map((e, i) => check(e, `${key}.${i}`, slot));
    const seen = new Set<number>();
    out.forEach((e, i) => {
      if (seen.has(e.di)) throw refuse(file, `${key}.${i}.di`, `data identifier ${e.di.toString(16).toUpperCase()} is listed twice`);
      seen.add(e.di);
    });
    return out;
  };

  const energy = check(input.energy, 'energy', {
    key: 'energy', what: 'a total active energy register',
    accepts: (name) => (edition === '2007' ? ENERGY_NAMES_2007.has(name) : name === 'forwardActiveTotal'),
  });
  const tariffNames = (n: number) => edition === '2007' ? [`forwardActiveTariff${n}`, `combinedActiveTariff${n}`] : [`forwardActiveTariff${n}`];
  const tariffs = input.tariffs ? input.tariffs.map((e, i) => check(e, `tariffs.${i}`, {
    key: 'tariffs', what: `the tariff ${i + 1} energy register`, accepts: (name) => tariffNames(i + 1).includes(name),
  })) : null;
  if (edition === '1997' && (input.statusWords?.length ?? 0) > 0) throw refuse(file, 'statusWords', 'DL/T 645-1997 meters have no status words 1..7');
  const statusWords = list(input.statusWords, 'statusWords', { key: 'statusWords', what: 'a status word (04000501..04000507)', accepts: (_n, e) => e?.kind === 'status' });
  const values = list(input.values, 'values', {
    key: 'values', what: 'an instantaneous or prepaid value (voltage, current, power, power factor, frequency, remaining or overdraft amount)',
    accepts: (name) => (edition === '2007' ? VALUE_NAMES_2007 : VALUE_NAMES_1997).has(name),
  });
  let dailyFrozen: Profile['dailyFrozen'] = null;
  if (input.dailyFrozen) {
    if (edition === '1997') throw refuse(file, 'dailyFrozen', 'DL/T 645-1997 has no daily freezes');
    const time = check(input.dailyFrozen.time, 'dailyFrozen.time', { key: 'dailyFrozen', what: 'the latest daily freeze time (05060001)', accepts: (_n, e) => e?.di === DAILY_FROZEN_TIME_BASE });
    const frozenEnergy = check(input.dailyFrozen.energy, 'dailyFrozen.energy', {
      key: 'dailyFrozen', what: 'the latest daily freeze of forward active energy (05060101)', accepts: (_n, e) => e?.di === DAILY_FROZEN_FORWARD_ACTIVE_BASE,
    });
    dailyFrozen = { time, energy: frozenEnergy, depth: input.dailyFrozen.depth };
  }
  if (edition === '1997' && (input.events?.length ?? 0) > 0) throw refuse(file, 'events', 'this codec reads no DL/T 645-1997 event records');
  const events = list(input.events, 'events', { key: 'events', what: 'an event count (power-down, programming, cover opened, trips, closes)', accepts: (name) => EVENT_COUNT_NAMES.has(name) });
  return {
    name: input.name, edition, model: input.model, source: input.source, notes: input.notes ?? [],
    energy, tariffs, statusWords, values, dailyFrozen, events,
  };
}

/** Whether the profile reads status word 3, the only word that shows the relay state. */
export function showsRelayState(profile: Profile): boolean {
  return profile.statusWords.some((s) => s.di === 0x04000503);
}

/** Every DI a poll of this profile asks, in order (daily freezes and events excepted). */
export function polledDataIdentifiers(profile: Profile): number[] {
  return [profile.energy.di, ...profile.statusWords.map((s) => s.di), ...(profile.tariffs ?? []).map((t) => t.di), ...profile.values.map((v) => v.di)];
}
