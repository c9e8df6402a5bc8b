// Credit grades (信用等级) as data: what each grade sets, from the most trusted (A) to the least
// (D). Treatment gets stricter as credit worsens: less overdraft, a shorter grace between the
// warning and a cut-off, and an earlier warning (a longer warning lead). These are the
// configuration's defaults (defaults.creditGrades); a deployment may set its own table.
// docs/design.md "Credit grades" lists them and says how each one enters the levels.

export interface CreditGradePolicy {
  /** how far below zero before cut-off: the cut-off level is minus this (defaults.cutoffLevelFen when absent) */
  overdraftFen?: number;
  /** time between alarm level 2 and a cut-off (engine.graceMs when absent) */
  graceMs?: number;
  /**
   * Alarm level 2 at this many days of supply at the account's recent consumption (the warning
   * comes about this long before the money runs out); defaults.alarmLevel2Fen when absent or
   * while the account has too little consumption history.
   */
  warningLeadDays?: number;
}

export const CREDIT_GRADES = ['A', 'B', 'C', 'D'] as const;
export type CreditGrade = (typeof CREDIT_GRADES)[number];

const HOUR_MS = 3_600_000;

/** B is the standard grade: the configured defaults (defaults.*Fen, engine.graceMs) apply to it. */
export const CREDIT_GRADE_DEFAULTS: Record<CreditGrade, CreditGradePolicy> = {
  A: { overdraftFen: 5000, graceMs: 72 * HOUR_MS, warningLeadDays: 1 },
  B: {},
  C: { overdraftFen: 0, graceMs: 12 * HOUR_MS, warningLeadDays: 3 },
  D: { overdraftFen: 0, graceMs: 4 * HOUR_MS, warningLeadDays: 5 },
};
