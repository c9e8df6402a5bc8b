// Every code the engine can emit has a Chinese and an English string in the console. The lists
// come from the engine's own constants (the unions are derived from them), so a new rule, reason,
// check, relay-safety limit, no-cut window or review kind fails here until the console speaks it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DECISION_REASONS, DECISION_RULES, TRACE_CHECKS, decide, traceOf, type DecisionInput } from '../../src/domain/policy.js';
import { SAFETY_LIMITS } from '../../src/domain/relay-safety.js';
import { NO_CUT_WINDOWS } from '../../src/domain/calendar.js';
import { REVIEW_KINDS } from '../../src/db/repo/index.js';
import { en } from '../../console/src/i18n/en.js';
import { zh } from '../../console/src/i18n/zh.js';

const CODES: Array<[prefix: string, codes: readonly string[]]> = [
  ['rule', DECISION_RULES],
  ['reason', DECISION_REASONS],
  ['check', TRACE_CHECKS],
  ['safety', SAFETY_LIMITS],
  ['window', NO_CUT_WINDOWS],
  ['review', REVIEW_KINDS],
];

const HAN = /\p{Script=Han}/u;
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const dictionary = (d: Record<string, string>, key: string) => (Object.hasOwn(d, key) ? d[key] : undefined);

describe('the console speaks every code of the engine', () => {
  for (const [prefix, codes] of CODES) {
    it(`has zh and en strings for every ${prefix} code (${codes.length})`, () => {
      expect(codes.length).toBeGreaterThan(0);
      for (const code of codes) {
        const key = `${prefix}.${code}`;
        const english = dictionary(en, key);
        const chinese = dictionary(zh, key);
        expect(english, `en ${key}`).toMatch(/\S/);
        expect(chinese, `zh ${key}`).toMatch(HAN);
        expect(placeholders(chinese!), `placeholders of ${key}`).toEqual(placeholders(english!));
      }
    });
  }

  it('gives the same placeholders in both languages for every string', () => {
    for (const key of Object.keys(en) as Array<keyof typeof en>) expect(placeholders(zh[key]), key).toEqual(placeholders(en[key]));
  });
});

describe('the codes the engine emits', () => {
  const input = fc.record<DecisionInput>({
    now: fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }),
    balanceFen: fc.integer({ min: -20_000, max: 20_000 }),
    levels: fc.record({
      alarmLevel1Fen: fc.constant(3000), alarmLevel2Fen: fc.constant(2000),
      cutoffLevelFen: fc.integer({ min: -5000, max: 0 }), restoreLevelFen: fc.integer({ min: 0, max: 5000 }),
    }),
    protected: fc.boolean(),
    keepPowerHold: fc.boolean(),
    manualOffHold: fc.boolean(),
    alarm2At: fc.option(fc.integer({ min: 1_690_000_000_000, max: 1_800_000_000_000 })),
    graceMs: fc.integer({ min: 0, max: 7 * 86_400_000 }),
    noCut: fc.oneof(fc.constant({ noCut: false }), fc.constantFrom('night', 'weekend', 'holiday:春节').map((reason) => ({ noCut: true, reason }))),
    relayState: fc.constantFrom('open', 'closed', 'unknown'),
    pendingAction: fc.constantFrom(null, 'disconnect', 'reconnect'),
    safety: fc.option(fc.record({ disconnectAllowed: fc.boolean(), reason: fc.constant('relay safety: test'), overridable: fc.boolean() }), { nil: undefined }),
    operatorDisconnectAt: fc.option(fc.integer({ min: 1_690_000_000_000, max: 1_800_000_000_000 })),
    restoredAt: fc.option(fc.integer({ min: 1_690_000_000_000, max: 1_800_000_000_000 })),
    utcOffsetMinutes: fc.constantFrom(480, 0, -300),
    latestPaymentAt: fc.option(fc.integer({ min: 1_690_000_000_000, max: 1_800_000_000_000 })),
  }, { requiredKeys: ['now', 'balanceFen', 'levels', 'protected', 'keepPowerHold', 'alarm2At', 'graceMs', 'noCut', 'relayState', 'pendingAction', 'utcOffsetMinutes'] });

  it('decides with a rule and a reason code from the lists, and reaches every reason code', () => {
    const seen = new Set<string>();
    const rules = new Set<string>(DECISION_RULES);
    const reasons = new Set<string>(DECISION_REASONS);
    fc.assert(fc.property(input, (i) => {
      const d = decide(i);
      seen.add(d.reasonCode);
      return rules.has(d.rule) && reasons.has(d.reasonCode);
    }), { numRuns: 20_000 });
    expect([...seen].sort()).toEqual([...DECISION_REASONS].sort());
  });

  it('traces the checks of the list, in its order', () => {
    fc.assert(fc.property(input, (i) => {
      expect(traceOf(i).map((s) => s.code)).toEqual([...TRACE_CHECKS]);
    }), { numRuns: 200 });
  });
});
