// The engine's decision against the rules of docs/design.md "The cut-off / restore engine": explicit
// examples, then model-based properties over random inputs (a disconnect only when every rule allows
// it; a reconnect whenever the balance is above the restore level and supply is off; a review only
// for protected customers).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decide, type DecisionInput } from '../../src/domain/policy.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 23, 2, 0); // Monday 2026-11-23 10:00 at UTC+8

const base: DecisionInput = {
  now: NOW,
  balanceFen: -10,
  levels: { alarmLevel1Fen: 2000, alarmLevel2Fen: 1000, cutoffLevelFen: 0, restoreLevelFen: 500 },
  protected: false,
  keepPowerHold: false,
  alarm2At: NOW - 25 * HOUR,
  utcOffsetMinutes: 480,
  graceMs: 24 * HOUR,
  noCut: { noCut: false },
  relayState: 'closed',
  pendingAction: null,
};

const at = (over: Partial<DecisionInput>) => decide({ ...base, ...over });

describe('decide: examples', () => {
  it('disconnects below the cut-off level once warned and the grace period has passed', () => {
    const d = at({});
    expect(d).toMatchObject({ action: 'disconnect', desired: 'open' });
    expect(d.reason).toContain('-10');
  });

  it('disconnects exactly at the cut-off level and exactly when the grace period ends', () => {
    expect(at({ balanceFen: 0, alarm2At: NOW - 24 * HOUR }).action).toBe('disconnect');
  });

  it.each<[string, Partial<DecisionInput>]>([
    ['balance above the cut-off level', { balanceFen: 1 }],
    ['keep-power hold', { keepPowerHold: true }],
    ['alarm level 2 never sent', { alarm2At: null }],
    ['grace period not over by 1 ms', { alarm2At: NOW - 24 * HOUR + 1 }],
    ['no-cut window', { noCut: { noCut: true, reason: 'night' } }],
    ['relay already open', { relayState: 'open' }],
    ['disconnect already pending', { pendingAction: 'disconnect' }],
    ['relay state not read yet', { relayState: 'unknown' }],
  ])('does not disconnect: %s', (_why, over) => {
    expect(at(over).action).toBe('none');
  });

  it('asks for manual review instead of disconnecting a protected customer', () => {
    expect(at({ protected: true })).toMatchObject({ action: 'review', desired: 'unchanged' });
  });

  it('reconnects as soon as the balance is above the restore level, at night, with no grace', () => {
    const d = at({ balanceFen: 501, relayState: 'open', noCut: { noCut: true, reason: 'night' }, alarm2At: NOW });
    expect(d).toMatchObject({ action: 'reconnect', desired: 'closed' });
  });

  it('does not reconnect at the restore level itself, nor twice', () => {
    expect(at({ balanceFen: 500, relayState: 'open' }).action).toBe('none');
    expect(at({ balanceFen: 501, relayState: 'open', pendingAction: 'reconnect' }).action).toBe('none');
    expect(at({ balanceFen: 501, relayState: 'closed' }).action).toBe('none');
  });

  it('countermands a disconnect still pending when a payment lifts the balance above the restore level', () => {
    // Supply is still on and a disconnect is queued; the customer pays. The queued disconnect must not
    // go out: the engine asks for a reconnect, which supersedes it.
    expect(at({ balanceFen: 501, relayState: 'closed', pendingAction: 'disconnect' })).toMatchObject({ action: 'reconnect', desired: 'closed' });
    expect(at({ balanceFen: 501, relayState: 'unknown', pendingAction: 'disconnect' })).toMatchObject({ action: 'reconnect', desired: 'closed' });
  });

  it('does not disconnect a meter whose relay state is unknown, even with a reconnect pending', () => {
    // The relay has never been read back; a reconnect (operator's or engine's) is queued.
    expect(at({ relayState: 'unknown', pendingAction: 'reconnect' }).action).not.toBe('disconnect');
  });

  it('writes times in its reasons in the configured local time, never in UTC', () => {
    // Warned at 2026-11-22 09:00 UTC: 17:00 the same day in Beijing, 04:00 in New York.
    expect(at({}).reason).toBe('balance -10 fen at or below cut-off level 0 fen, warned at 2026-11-22T09:00:00.000+08:00');
    expect(at({ utcOffsetMinutes: 0 }).reason).toMatch(/warned at 2026-11-22T01:00:00\.000\+00:00$/);
    expect(at({ utcOffsetMinutes: -300 }).reason).toMatch(/warned at 2026-11-21T20:00:00\.000-05:00$/);
    expect(at({ alarm2At: NOW - HOUR }).reason).toBe('grace period runs until 2026-11-24T09:00:00.000+08:00');
  });

  it('after a restore, counts only a warning raised since, and a full grace from it', () => {
    // Warned 25 h ago, restored 2 h ago: that warning is spent.
    const spent = at({ restoredAt: NOW - 2 * HOUR });
    expect(spent).toMatchObject({ action: 'none', rule: 'not-warned' });
    expect(spent.reason).toBe('alarm level 2 not sent since supply was restored at 2026-11-23T08:00:00.000+08:00 (the warning at 2026-11-22T09:00:00.000+08:00 came before it)');
    // Warned afresh when supply came back (as the restore's confirmation does): a full grace from then.
    expect(at({ restoredAt: NOW - 2 * HOUR, alarm2At: NOW - 2 * HOUR })).toMatchObject({ rule: 'in-grace' });
    expect(at({ restoredAt: NOW - 25 * HOUR, alarm2At: NOW - 25 * HOUR }).action).toBe('disconnect');
    // A restore before the warning changes nothing.
    expect(at({ restoredAt: NOW - 30 * HOUR }).action).toBe('disconnect');
  });
});

// ---- model-based properties ----

const levels = fc
  .tuple(fc.integer({ min: -5000, max: 5000 }), fc.nat(3000), fc.nat(3000), fc.nat(3000))
  .map(([cutoff, to2, to1, toRestore]) => ({
    cutoffLevelFen: cutoff,
    alarmLevel2Fen: cutoff + to2,
    alarmLevel1Fen: cutoff + to2 + to1,
    restoreLevelFen: cutoff + toRestore,
  }));

const input: fc.Arbitrary<DecisionInput> = fc
  .record({
    levels,
    // balance near the interesting levels most of the time
    offset: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -10_000, max: 10_000 })),
    anchor: fc.constantFrom('cutoff', 'restore') as fc.Arbitrary<'cutoff' | 'restore'>,
    protected: fc.boolean(),
    keepPowerHold: fc.boolean(),
    alarm2Ago: fc.option(fc.integer({ min: -HOUR, max: 3 * 24 * HOUR }), { nil: null }),
    graceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * 24 * HOUR })),
    noCut: fc.oneof(fc.constant({ noCut: false }), fc.constantFrom('night', 'weekend', 'holiday:国庆节').map((reason) => ({ noCut: true, reason }))),
    relayState: fc.constantFrom('open', 'closed', 'unknown') as fc.Arbitrary<DecisionInput['relayState']>,
    pendingAction: fc.constantFrom(null, 'disconnect', 'reconnect') as fc.Arbitrary<DecisionInput['pendingAction']>,
  })
  .map((r) => ({
    now: NOW,
    balanceFen: (r.anchor === 'cutoff' ? r.levels.cutoffLevelFen : r.levels.restoreLevelFen) + r.offset,
    levels: r.levels,
    protected: r.protected,
    keepPowerHold: r.keepPowerHold,
    alarm2At: r.alarm2Ago === null ? null : NOW - r.alarm2Ago,
    utcOffsetMinutes: 480,
    graceMs: r.graceMs,
    noCut: r.noCut,
    relayState: r.relayState,
    pendingAction: r.pendingAction,
  }));

/** Every reason, from the rules, why an automatic disconnect must not be issued now. */
function disconnectForbiddenBecause(i: DecisionInput): string[] {
  const why: string[] = [];
  if (i.balanceFen > i.levels.cutoffLevelFen) why.push('balance above cut-off level');
  if (i.protected) why.push('protected');
  if (i.keepPowerHold) why.push('keep-power hold');
  if (i.alarm2At === null) why.push('no alarm level 2');
  else if (i.now - i.alarm2At < i.graceMs) why.push('grace not elapsed');
  if (i.noCut.noCut) why.push('no-cut window');
  if (i.relayState === 'open') why.push('relay already open');
  if (i.pendingAction === 'disconnect') why.push('disconnect pending');
  if (i.relayState === 'unknown') why.push('relay unknown');
  return why;
}

const RUNS = { numRuns: 5000 };

describe('decide: properties', () => {
  it('never disconnects when a rule forbids it', () => {
    fc.assert(
      fc.property(input, (i) => {
        const why = disconnectForbiddenBecause(i);
        if (why.length > 0) expect(decide(i).action, why.join(', ')).not.toBe('disconnect');
      }),
      RUNS,
    );
  });

  it('disconnects whenever every rule allows it', () => {
    fc.assert(
      fc.property(input, (i) => {
        if (disconnectForbiddenBecause(i).length === 0) expect(decide(i)).toMatchObject({ action: 'disconnect', desired: 'open' });
      }),
      RUNS,
    );
  });

  it('always reconnects when the balance is above the restore level and the relay is open, in any window', () => {
    fc.assert(
      fc.property(input, (i) => {
        if (i.balanceFen > i.levels.restoreLevelFen && i.relayState === 'open' && i.pendingAction !== 'reconnect') {
          expect(decide(i)).toMatchObject({ action: 'reconnect', desired: 'closed' });
        }
      }),
      RUNS,
    );
  });

  it('reconnects only above the restore level, and a closed relay only to countermand a pending disconnect', () => {
    fc.assert(
      fc.property(input, (i) => {
        if (decide(i).action !== 'reconnect') return;
        expect(i.balanceFen).toBeGreaterThan(i.levels.restoreLevelFen);
        if (i.relayState === 'closed') expect(i.pendingAction).toBe('disconnect');
        expect(i.pendingAction).not.toBe('reconnect');
      }),
      RUNS,
    );
  });

  it('asks for review only for protected customers at or below the cut-off level', () => {
    fc.assert(
      fc.property(input, (i) => {
        if (decide(i).action !== 'review') return;
        expect(i.protected).toBe(true);
        expect(i.balanceFen).toBeLessThanOrEqual(i.levels.cutoffLevelFen);
      }),
      RUNS,
    );
  });

  it('a protected customer who would otherwise be cut off gets a review', () => {
    fc.assert(
      fc.property(input, (i) => {
        const only = disconnectForbiddenBecause(i);
        if (only.length === 1 && only[0] === 'protected') expect(decide(i).action).toBe('review');
      }),
      RUNS,
    );
  });

  it('does nothing while the relay state is unknown and nothing is pending', () => {
    fc.assert(
      fc.property(input, (i) => {
        if (i.relayState === 'unknown' && i.pendingAction === null) expect(decide(i).action).toBe('none');
      }),
      RUNS,
    );
  });

  it('always gives a reason', () => {
    fc.assert(
      fc.property(input, (i) => {
        expect(decide(i).reason.length).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });
});
