// Alarm levels and their crossings (余额提醒). Crossing a level downwards raises it once; crossing
// back above re-arms it (docs/design.md "Thresholds and alarms").

export interface Levels {
  alarmLevel1Fen: number;
  alarmLevel2Fen: number;
  cutoffLevelFen: number;
  restoreLevelFen: number;
}

/** 0 = no alarm, 1 = at or below alarm level 1, 2 = at or below alarm level 2. */
export type AlarmState = 0 | 1 | 2;

export function alarmStateFor(balanceFen: number, levels: Levels): AlarmState {
  if (balanceFen <= levels.alarmLevel2Fen) return 2;
  if (balanceFen <= levels.alarmLevel1Fen) return 1;
  return 0;
}

export interface AlarmTransition {
  next: AlarmState;
  /** levels newly reached, lowest-numbered first, each raised once */
  raised: Array<1 | 2>;
}

export function alarmTransition(previous: AlarmState, balanceFen: number, levels: Levels): AlarmTransition {
  const next = alarmStateFor(balanceFen, levels);
  const raised: Array<1 | 2> = [];
  if (next >= 1 && previous < 1) raised.push(1);
  if (next >= 2 && previous < 2) raised.push(2);
  return { next, raised };
}

// ---------------------------------------------------------------------------------------------
// Where the levels come from. Each level is set in money ({fen}) or in days of supply ({days}),
// by, most specific first: the account's own override, its category, its credit grade (the
// cut-off level is minus the grade's overdraft), the configured defaults. Days are turned into
// money from the account's own recent consumption (average daily charge); without any history a
// days level falls back to the next money level down the list.

export const LEVEL_NAMES = ['alarmLevel1', 'alarmLevel2', 'cutoffLevel', 'restoreLevel'] as const;
export type LevelName = (typeof LEVEL_NAMES)[number];
export type LevelSpec = { fen: number } | { days: number };
export type LevelOverrides = Partial<Record<LevelName, LevelSpec>>;
export type LevelSource = 'override' | 'category' | 'credit-grade' | 'default';

export interface CreditGradePolicy {
  /** how far below zero before cut-off */
  overdraftFen?: number;
  /** time between alarm level 2 and a cut-off; the engine's graceMs when absent */
  graceMs?: number;
}

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
  fen: number;
  spec: LevelSpec;
  source: LevelSource;
}

export interface LevelsInput {
  category: string;
  creditGrade: string;
  overrides: LevelOverrides;
  /** average daily charge (fen/day) over the recent window; null or 0 when there is no history */
  averageDailyChargeFen: number | null;
}

/** Every level's money value with the spec and source it came from. Ordered so alarm 1 ≥ alarm 2 ≥ cut-off ≤ restore. */
export function resolveLevels(input: LevelsInput, policy: LevelPolicy): { levels: Levels; detail: Record<LevelName, ResolvedLevel> } {
  const d = policy.defaults;
  const category = d.categories?.[input.category] ?? {};
  const overdraft = d.creditGrades?.[input.creditGrade]?.overdraftFen;
  const daily = input.averageDailyChargeFen && input.averageDailyChargeFen > 0 ? input.averageDailyChargeFen : null;
  const fallback: Record<LevelName, ResolvedLevel> = {
    alarmLevel1: { fen: d.alarmLevel1Fen, spec: { fen: d.alarmLevel1Fen }, source: 'default' },
    alarmLevel2: { fen: d.alarmLevel2Fen, spec: { fen: d.alarmLevel2Fen }, source: 'default' },
    cutoffLevel: overdraft === undefined
      ? { fen: d.cutoffLevelFen, spec: { fen: d.cutoffLevelFen }, source: 'default' }
      : { fen: -overdraft, spec: { fen: -overdraft }, source: 'credit-grade' },
    restoreLevel: { fen: d.restoreLevelFen, spec: { fen: d.restoreLevelFen }, source: 'default' },
  };
  const detail = {} as Record<LevelName, ResolvedLevel>;
  for (const name of LEVEL_NAMES) {
    const candidates: Array<[LevelSpec | undefined, LevelSource]> = [[input.overrides[name], 'override'], [category[name], 'category']];
    let chosen = fallback[name];
    for (const [spec, source] of candidates) {
      if (!spec) continue;
      if ('fen' in spec) {
        chosen = { fen: spec.fen, spec, source };
        break;
      }
      if (daily !== null) {
        chosen = { fen: Math.round(spec.days * daily), spec, source };
        break;
      }
    }
    detail[name] = chosen;
  }
  const cutoffLevelFen = detail.cutoffLevel.fen;
  const alarmLevel2Fen = Math.max(detail.alarmLevel2.fen, cutoffLevelFen);
  const levels: Levels = {
    alarmLevel1Fen: Math.max(detail.alarmLevel1.fen, alarmLevel2Fen),
    alarmLevel2Fen,
    cutoffLevelFen,
    restoreLevelFen: Math.max(detail.restoreLevel.fen, cutoffLevelFen),
  };
  return { levels, detail };
}

/** True when any level of the account could be set in days (so it moves with consumption). */
export function usesDays(input: Pick<LevelsInput, 'category' | 'overrides'>, policy: LevelPolicy): boolean {
  const category = policy.defaults.categories?.[input.category] ?? {};
  return LEVEL_NAMES.some((n) => {
    const spec = input.overrides[n] ?? category[n];
    return spec !== undefined && 'days' in spec;
  });
}
