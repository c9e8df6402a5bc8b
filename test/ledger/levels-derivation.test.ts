// An account's levels are derived from their inputs whenever one changes, and the refresher's
// pass applies a changed configuration to every account. A row from before levels were derived
// keeps the money levels set on it directly (taken as the account's own), but never a level that
// a setting in days moves.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { createLogger } from '../../src/logger.js';
import { LevelsRefresher, thresholdsOf } from '../../src/ledger/levels.js';

const NOW = Date.parse('2026-11-25T10:00:00+08:00');
let t: TestDb;
let refresher: LevelsRefresher;

beforeEach(() => {
  t = openTestDb();
  t.config.defaults.categories = { business: { alarmLevel2: { days: 2 } } };
  refresher = new LevelsRefresher(t.repos, t.config, createLogger('silent'), () => NOW);
});
afterEach(() => t.cleanup());

const levelsOf = (id: string) => {
  const a = t.repos.accounts.get(id)!;
  return [a.alarmLevel1Fen, a.alarmLevel2Fen, a.cutoffLevelFen, a.restoreLevelFen];
};

describe('deriving levels', () => {
  it('a changed credit-grade table reaches every account of the grade on the next pass', async () => {
    t.account({ id: 'c-1', creditGrade: 'C' }, NOW);
    t.account({ id: 'b-1', creditGrade: 'B' }, NOW);
    expect(await refresher.sweep()).toBe(0);
    t.config.defaults.creditGrades.C = { ...t.config.defaults.creditGrades.C, overdraftFen: 1500 };
    expect(await refresher.sweep()).toBe(1);
    expect(levelsOf('c-1')).toEqual([2000, 1000, -1500, 0]);
    expect(levelsOf('b-1')).toEqual([2000, 1000, 0, 0]);
    expect(thresholdsOf(t.repos, t.repos.accounts.get('c-1')!, t.config, NOW).levels.cutoffLevel).toMatchObject({ fen: -1500, source: 'grade' });
    // (a new account at 0 fen has its alarms raised at creation; only the grade table's pass changes levels)
    const levelEvents = (id: string) => t.repos.journal.events(0, id, 10).filter((e) => e.type === 'levels-changed');
    expect(levelEvents('c-1')).toHaveLength(1);
    expect(levelEvents('b-1')).toEqual([]);
  });

  it("a row from before levels were derived keeps its money levels as the account's own, not those days move", async () => {
    t.account({ id: 'old', category: 'business' }, NOW - 90 * 86_400_000);
    t.account({ id: 'same' }, NOW - 90 * 86_400_000);
    // As such rows were: alarm level 1 set on the row directly, alarm level 2 left from an old rate.
    t.db.prepare(`UPDATE accounts SET alarm_level1_fen = 7777, alarm_level2_fen = 6000, levels_derived_at = NULL WHERE id = 'old'`).run();
    t.db.prepare(`UPDATE accounts SET levels_derived_at = NULL WHERE id = 'same'`).run();
    expect(await refresher.sweep()).toBe(1);
    const old = t.repos.accounts.get('old')!;
    expect(JSON.parse(old.levelOverrides!)).toEqual({ alarmLevel1: { fen: 7777 } });
    expect(levelsOf('old')).toEqual([7777, 1000, 0, 0]); // no consumption: alarm level 2's days fall back to money
    expect(old.levelsDerivedAt).toBe(NOW);
    expect(t.repos.accounts.get('same')).toMatchObject({ levelOverrides: null, levelsDerivedAt: NOW });
    expect(t.repos.auditLog.page({ target: 'old', limit: 10 }).map((e) => e.action)).toContain('level-overrides-adopted');
    const view = thresholdsOf(t.repos, old, t.config, NOW).levels;
    expect(view.alarmLevel1).toMatchObject({ fen: 7777, source: 'override' });
    expect(view.alarmLevel2).toMatchObject({ fen: 1000, source: 'default', skipped: [{ days: 2, setBy: 'category' }] });
    expect(await refresher.sweep()).toBe(0);
  });
});
