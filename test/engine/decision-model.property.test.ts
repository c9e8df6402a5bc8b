// Model-based test of the engine's decision over random timelines: payments, consumption, time
// passing (through nights, weekends and China's holidays at UTC+8), holds placed and released,
// relay-safety limits, commands completing, and periodic sweeps. A model of one supply point
// applies whatever `decide` asks for. Checked at every step:
//   - never a cut-off the rules forbid (balance, warning + grace, window, protected, holds, safety);
//   - never a restore delayed past the next sweep: whenever a sweep (or the payment itself) sees
//     the balance above the restore level with supply off and nothing holding it off, a reconnect
//     is asked for or already in flight.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decide, type DecisionInput, type SafetyGate } from '../../src/domain/policy.js';
import { noCutVerdict } from '../../src/domain/calendar.js';
import type { NoCutConfig } from '../../src/config/schema.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NO_CUT: NoCutConfig = { nights: true, nightStart: '18:00', nightEnd: '08:00', weekends: true, holidays: true };
const LEVELS = { alarmLevel1Fen: 2000, alarmLevel2Fen: 1000, cutoffLevelFen: 0, restoreLevelFen: 500 };
const START = Date.parse('2026-09-28T07:00:00+08:00'); // a Monday, days before the National Day holiday

type Event =
  | { kind: 'pay'; fen: number }
  | { kind: 'consume'; fen: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'keep-power'; on: boolean }
  | { kind: 'manual-off'; on: boolean }
  | { kind: 'safety'; gate: SafetyGate | null }
  | { kind: 'complete' }
  | { kind: 'sweep' };

const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant('pay' as const), fen: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({ kind: fc.constant('consume' as const), fen: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: MINUTE, max: 30 * HOUR }) }),
  fc.record({ kind: fc.constant('keep-power' as const), on: fc.boolean() }),
  fc.record({ kind: fc.constant('manual-off' as const), on: fc.boolean() }),
  fc.record({
    kind: fc.constant('safety' as const),
    gate: fc.option(fc.record({ disconnectAllowed: fc.boolean(), reason: fc.constant('relay safety: test'), overridable: fc.boolean() }), { nil: null }),
  }),
  fc.record({ kind: fc.constant('complete' as const) }),
  fc.record({ kind: fc.constant('sweep' as const) }),
);

interface Model {
  now: number;
  balanceFen: number;
  alarm2At: number | null;
  relay: 'open' | 'closed';
  pending: 'disconnect' | 'reconnect' | null;
  keepPower: boolean;
  manualOff: boolean;
  safety: SafetyGate | null;
  protected: boolean;
  graceMs: number;
}

function inputOf(m: Model): DecisionInput {
  return {
    now: m.now, balanceFen: m.balanceFen, levels: LEVELS, protected: m.protected, keepPowerHold: m.keepPower, manualOffHold: m.manualOff,
    alarm2At: m.alarm2At, utcOffsetMinutes: 480, graceMs: m.graceMs, noCut: noCutVerdict(m.now, NO_CUT, 480), relayState: m.relay, pendingAction: m.pending,
    ...(m.safety ? { safety: m.safety } : {}),
  };
}

/** Every reason, from the rules, why supply must not be switched off now. */
function cutForbiddenBecause(i: DecisionInput): string[] {
  const why: string[] = [];
  if (i.relayState !== 'closed') why.push('relay not closed');
  if (i.pendingAction === 'disconnect') why.push('disconnect pending');
  if (i.keepPowerHold) why.push('keep-power hold');
  if (i.manualOffHold) {
    if (i.safety && !i.safety.disconnectAllowed && !i.safety.overridable) why.push('relay safety');
    return why;
  }
  if (i.balanceFen > i.levels.cutoffLevelFen) why.push('balance above cut-off level');
  if (i.alarm2At === null || i.now < i.alarm2At + i.graceMs) why.push('not warned long enough');
  if (i.noCut.noCut) why.push(`no-cut window ${i.noCut.reason}`);
  if (i.protected) why.push('protected');
  if (i.safety && !i.safety.disconnectAllowed) why.push('relay safety');
  return why;
}

/** Applies the decision the way the engine does; checks both properties on the way. */
function evaluate(m: Model, sweep: boolean): void {
  const input = inputOf(m);
  const d = decide(input);
  if (d.action === 'disconnect') expect(cutForbiddenBecause(input), JSON.stringify(input)).toEqual([]);
  if (sweep && m.balanceFen > LEVELS.restoreLevelFen && m.relay === 'open' && !m.manualOff) {
    expect(d.action === 'reconnect' || m.pending === 'reconnect', `restore delayed past the sweep: ${JSON.stringify(input)}`).toBe(true);
  }
  if (d.action === 'disconnect' || d.action === 'reconnect') m.pending = d.action;
}

function ledger(m: Model, delta: number): void {
  m.balanceFen += delta;
  if (m.balanceFen <= LEVELS.alarmLevel2Fen) m.alarm2At ??= m.now;
  else m.alarm2At = null;
}

describe('decide over random timelines (model-based)', () => {
  it('never cuts off against the rules and never delays a restore past the next sweep', () => {
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 60 }),
        fc.boolean(), fc.constantFrom(0, HOUR, 24 * HOUR), fc.integer({ min: -2000, max: 3000 }),
        (events, isProtected, graceMs, opening) => {
          const m: Model = {
            now: START, balanceFen: 0, alarm2At: null, relay: 'closed', pending: null, keepPower: false, manualOff: false,
            safety: null, protected: isProtected, graceMs,
          };
          ledger(m, opening);
          for (const e of events) {
            switch (e.kind) {
              case 'pay':
                ledger(m, e.fen);
                evaluate(m, true); // a payment is evaluated at once, like a sweep
                break;
              case 'consume':
                ledger(m, -e.fen);
                evaluate(m, false);
                break;
              case 'wait':
                m.now += e.ms;
                break;
              case 'keep-power':
                m.keepPower = e.on;
                if (e.on) m.manualOff = false; // the two never stand together (placing one while the other stands is refused)
                evaluate(m, false);
                break;
              case 'manual-off':
                m.manualOff = e.on && !m.keepPower;
                evaluate(m, false);
                break;
              case 'safety':
                m.safety = e.gate;
                break;
              case 'complete':
                if (m.pending) m.relay = m.pending === 'disconnect' ? 'open' : 'closed';
                m.pending = null;
                evaluate(m, false);
                break;
              case 'sweep':
                evaluate(m, true);
                break;
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
