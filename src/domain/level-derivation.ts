// Where an account's levels come from (docs/design.md "Thresholds and alarms"). Each level is set
// in money ({fen}) or in days of supply ({days}) by, most specific first: the account's own
// override, its category, its credit grade (the cut-off level is minus the grade's overdraft,
// alarm level 2 the grade's warning lead in days), the configured money defaults. The first
// setting that can be turned into money decides. Days become money at the account's recent average
// daily charge, rounded down (never a fen more than the days of supply imply); without a usable
// average — no consumption in the window, or too short a history — a level in days is passed over
// for the next setting down, so the money defaults are where it ends.
//
// The account row caches the result; it is derived again whenever an input changes (the grade,
// the category, an override, the recent consumption): src/ledger/levels.ts.
import type { Levels } from './thresholds.js';
import type { CreditGradePolicy } from './credit-grades.js';

export const LEVEL_NAMES = ['alarmLevel1', 'alarmLevel2', 'cutoffLevel', 'restoreLevel'] as const;
export type LevelName = (typeof LEVEL_NAMES)[number];
export type LevelSpec = { fen: number } | { days: number };
export type LevelOverrides = Partial<Record<LevelName, LevelSpec>>;
/** Who set a level's setting. */
export type LevelSetter = 'override' | 'category' | 'grade' | 'default';
/** Where a level's money came from: a money setting (by its setter), or days of supply at the recent consumption. */
export type LevelSource = LevelSetter | 'days';

export type { CreditGradePolicy } from './credit-grades.js';

/** The part of the configuration the levels come from (config.defaults and config.engine). */
export interface LevelPolicy {
  defaults: {
    alarmLevel1Fen: number;
    alarmLevel2Fen: number;
    cutoffLevelFen: number;
    restoreLevelFen: number;
    categories?: Record<string, LevelOverrides>;
    creditGrades?: Partial<Record<string, CreditGradePolicy>>;
  };
  engine: { graceMs: number };
}

/** Grace between alarm level 2 and a cut-off for a credit grade (the engine calls this). */
export function graceMsFor(grade: string, config: LevelPolicy): number {
  return config.defaults.creditGrades?.[grade]?.graceMs ?? config.engine.graceMs;
}

function isSpec(v: unknown): v is LevelSpec {
  if (typeof v !== 'object' || v === null) return false;
  const keys = Object.keys(v);
  if (keys.length !== 1) return false;
  const { fen, days } = v as { fen?: unknown; days?: unknown };
  if (keys[0] === 'fen') return Number.isSafeInteger(fen);
  return keys[0] === 'days' && typeof days === 'number' && Number.isFinite(days) && Math.abs(days) <= 365;
}

/** Validates level overrides (the `level_overrides` JSON); throws a RangeError naming the bad level. */
export function validateLevelOverrides(value: unknown): LevelOverrides {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new RangeError('level overrides must be an object such as {"alarmLevel1":{"days":3}}');
  const out: LevelOverrides = {};
  for (const [name, spec] of Object.entries(value)) {
    if (!(LEVEL_NAMES as readonly string[]).includes(name)) throw new RangeError(`unknown level "${name}" (levels: ${LEVEL_NAMES.join(', ')})`);
    if (!isSpec(spec)) throw new RangeError(`level ${name} must be {"fen": <integer>} or {"days": <number of days, ±365>}`);
    out[name as LevelName] = spec;
  }
  return out;
}

export function parseLevelOverrides(json: string | null): LevelOverrides {
  return json ? validateLevelOverrides(JSON.parse(json)) : {};
}

export interface ResolvedLevel {
  /** the money value, before the levels are put in order (see `resolveLevels`) */
  fen: number;
  /** the setting that decided */
  spec: LevelSpec;
  source: LevelSource;
  /** who set `spec` */
  setBy: LevelSetter;
  /** settings in days passed over for want of a usable consumption average, most specific first */
  skipped: Array<{ days: number; setBy: LevelSetter }>;
}

export interface LevelsInput {
  category: string;
  creditGrade: string;
  overrides: LevelOverrides;
  /** recent average daily charge (fen/day); null or 0 when there is none to derive levels from */
  averageDailyChargeFen: number | null;
}

/** What the credit grade sets, as level settings. */
export function gradeLevels(grade: string, policy: LevelPolicy): LevelOverrides {
  const g = policy.defaults.creditGrades?.[grade];
  const out: LevelOverrides = {};
  if (g?.overdraftFen !== undefined) out.cutoffLevel = { fen: -g.overdraftFen };
  if (g?.warningLeadDays !== undefined) out.alarmLevel2 = { days: g.warningLeadDays };
  return out;
}

const DEFAULT_FEN: Record<LevelName, keyof LevelPolicy['defaults'] & `${string}Fen`> = {
  alarmLevel1: 'alarmLevel1Fen', alarmLevel2: 'alarmLevel2Fen', cutoffLevel: 'cutoffLevelFen', restoreLevel: 'restoreLevelFen',
};

/** Every setting of each level, most specific first, ending with the money default. */
export function levelSettings(input: Pick<LevelsInput, 'category' | 'creditGrade' | 'overrides'>, policy: LevelPolicy): Record<LevelName, Array<[LevelSpec, LevelSetter]>> {
  const category = policy.defaults.categories?.[input.category] ?? {};
  const grade = gradeLevels(input.creditGrade, policy);
  const out = {} as Record<LevelName, Array<[LevelSpec, LevelSetter]>>;
  for (const name of LEVEL_NAMES) {
    const chain: Array<[LevelSpec, LevelSetter]> = [];
    for (const [spec, setBy] of [[input.overrides[name], 'override'], [category[name], 'category'], [grade[name], 'grade']] as const) {
      if (spec) chain.push([spec, setBy]);
    }
    chain.push([{ fen: policy.defaults[DEFAULT_FEN[name]] }, 'default']);
    out[name] = chain;
  }
  return out;
}

/** A level in days as money at the average daily charge: rounded down, never more than the days imply. */
export function daysToFen(days: number, averageDailyChargeFen: number): number {
  return Math.floor(days * averageDailyChargeFen);
}

/**
 * Every level's money value with the setting it came from, and the levels the engine acts on:
 * put in order so that alarm 1 ≥ alarm 2 ≥ cut-off ≤ restore (a level below the cut-off level is
 * raised to it).
 */
export function resolveLevels(input: LevelsInput, policy: LevelPolicy): { levels: Levels; detail: Record<LevelName, ResolvedLevel> } {
  const daily = input.averageDailyChargeFen !== null && input.averageDailyChargeFen > 0 ? input.averageDailyChargeFen : null;
  const all = levelSettings(input, policy);
  const detail = {} as Record<LevelName, ResolvedLevel>;
  for (const name of LEVEL_NAMES) {
    const skipped: ResolvedLevel['skipped'] = [];
    for (const [spec, setBy] of all[name]) {
      if ('fen' in spec) {
        detail[name] = { fen: spec.fen, spec, source: setBy, setBy, skipped };
        break;
      }
      if (daily !== null) {
        detail[name] = { fen: daysToFen(spec.days, daily), spec, source: 'days', setBy, skipped };
        break;
      }
      skipped.push({ days: spec.days, setBy });
    }
  }
  return { levels: orderLevels(detail), detail };
}

/** The levels as the engine uses them: alarm 2 and restore no lower than the cut-off level, alarm 1 no lower than alarm 2. */
export function orderLevels(detail: Record<LevelName, { fen: number }>): Levels {
  const cutoffLevelFen = detail.cutoffLevel.fen;
  const alarmLevel2Fen = Math.max(detail.alarmLevel2.fen, cutoffLevelFen);
  return {
    alarmLevel1Fen: Math.max(detail.alarmLevel1.fen, alarmLevel2Fen),
    alarmLevel2Fen,
    cutoffLevelFen,
    restoreLevelFen: Math.max(detail.restoreLevel.fen, cutoffLevelFen),
  };
}

/**
 * True when a level of the account may be set in days (a days setting comes before the first money
 * setting in its chain), so its levels move with consumption and time.
 */
export function usesDays(input: Pick<LevelsInput, 'category' | 'creditGrade' | 'overrides'>, policy: LevelPolicy): boolean {
  return Object.values(levelSettings(input, policy)).some((chain) => 'days' in chain[0]![0]);
}
