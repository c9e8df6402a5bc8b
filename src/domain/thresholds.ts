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


// Where the levels come from: src/domain/level-derivation.ts.
export * from './level-derivation.js';
