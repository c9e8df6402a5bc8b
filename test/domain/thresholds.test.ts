// Alarm levels (余额提醒): crossing a level downwards raises it once, repeated readings at the same
// level raise nothing, crossing back above re-arms it (docs/design.md "Thresholds and alarms").
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { alarmStateFor, alarmTransition, type AlarmState, type Levels } from '../../src/domain/thresholds.js';

const LEVELS: Levels = { alarmLevel1Fen: 2000, alarmLevel2Fen: 1000, cutoffLevelFen: 0, restoreLevelFen: 0 };

/** Feeds balances one by one from "no alarm" and collects what each step raised. */
function walk(balances: number[], levels: Levels = LEVELS): { raised: Array<Array<1 | 2>>; final: AlarmState } {
  let state: AlarmState = 0;
  const raised: Array<Array<1 | 2>> = [];
  for (const balance of balances) {
    const t = alarmTransition(state, balance, levels);
    raised.push(t.raised);
    state = t.next;
  }
  return { raised, final: state };
}

describe('alarmStateFor', () => {
  it.each([
    [2001, 0],
    [2000, 1], // at the level counts as reached
    [1001, 1],
    [1000, 2],
    [0, 2],
    [-500, 2],
  ])('balance %i fen is alarm state %i', (balance, state) => {
    expect(alarmStateFor(balance, LEVELS)).toBe(state);
  });
});

describe('alarmTransition', () => {
  it('raises each level once on the way down', () => {
    const { raised } = walk([5000, 1999, 1500, 999, 500, 0, -100]);
    expect(raised).toEqual([[], [1], [], [2], [], [], []]);
  });

  it('raises both levels, level 1 first, when one step falls past both', () => {
    expect(alarmTransition(0, 900, LEVELS)).toEqual({ next: 2, raised: [1, 2] });
  });

  it('raises nothing on repeated readings at the same level', () => {
    const { raised } = walk([1500, 1500, 1500, 800, 800, 800]);
    expect(raised).toEqual([[1], [], [], [2], [], []]);
  });

  it('re-arms on the way up and raises again on the next crossing down', () => {
    const { raised } = walk([800, 5000, 800, 1500, 800, 1500, 2500, 1500]);
    expect(raised).toEqual([
      [1, 2], // 800: both reached
      [], //     5000: both re-armed
      [1, 2], // 800 again
      [], //     1500: level 2 re-armed, level 1 still standing
      [2], //    800: only level 2 is new
      [], //     1500
      [], //     2500: level 1 re-armed
      [1], //    1500
    ]);
  });

  it('re-arms state as the balance rises', () => {
    expect(alarmTransition(2, 1500, LEVELS).next).toBe(1);
    expect(alarmTransition(2, 2500, LEVELS).next).toBe(0);
    expect(alarmTransition(1, 2500, LEVELS).next).toBe(0);
  });

  it('property: each level is raised exactly once per downward crossing, for any balances and levels', () => {
    const levels = fc
      .tuple(fc.integer({ min: -5000, max: 5000 }), fc.nat(5000))
      .map(([l2, gap]): Levels => ({ alarmLevel1Fen: l2 + gap, alarmLevel2Fen: l2, cutoffLevelFen: l2 - 100, restoreLevelFen: l2 }));
    fc.assert(
      fc.property(levels, fc.array(fc.integer({ min: -20_000, max: 20_000 }), { maxLength: 60 }), (lv, balances) => {
        const { raised } = walk(balances, lv);
        // Crossings counted directly from the balances, starting above both levels.
        let above1 = true;
        let above2 = true;
        let crossings1 = 0;
        let crossings2 = 0;
        balances.forEach((balance, i) => {
          if (above1 && balance <= lv.alarmLevel1Fen) crossings1++;
          if (above2 && balance <= lv.alarmLevel2Fen) crossings2++;
          above1 = balance > lv.alarmLevel1Fen;
          above2 = balance > lv.alarmLevel2Fen;
          // Never the same level twice in one step, and level 1 before level 2.
          expect(raised[i]).toEqual([...raised[i]!].sort());
          expect(new Set(raised[i]).size).toBe(raised[i]!.length);
        });
        expect(raised.flat().filter((l) => l === 1).length).toBe(crossings1);
        expect(raised.flat().filter((l) => l === 2).length).toBe(crossings2);
      }),
    );
  });
});
