// The grace period between alarm level 2 and a cut-off, by credit grade: the per-grade table
// (config.defaults.creditGrades) with engine.graceMs where a grade sets none.
import type { Config } from '../config/schema.js';
import { graceMsFor } from '../domain/thresholds.js';

export function graceMsOf(creditGrade: string, config: Config): number {
  return graceMsFor(creditGrade, config);
}
