// The --fault grammar: examples read as meant, broken ones refused with the part at fault named,
// every fault written back reads the same (property), no input makes it fail any other way, and
// the help text names everything the grammar knows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataIdentifier } from '../../../protocols/dlt645/index.js';
import {
  EFFECTS,
  FILTER_WORDS,
  FaultSyntaxError,
  REFUSALS,
  formatFault,
  parseFault,
  type FaultEffect,
  type FaultSpec,
  type RequestFilter,
} from '../../../simulators/dlt645/fault-grammar.js';
import { FAULT_HELP } from '../../../simulators/dlt645/fault-help.js';

const always = { only: null, afterMs: 0, forMs: null, rate: null, count: null };

describe('parseFault', () => {
  it.each<[string, FaultSpec]>([
    ['000000000003=silent,for=30s', { meter: '000000000003', effect: { kind: 'silent' }, schedule: { ...always, forMs: 30_000 } }],
    ['000000000002=bad-checksum,rate=1/5', { meter: '000000000002', effect: { kind: 'bad-checksum' }, schedule: { ...always, rate: { hits: 1, of: 5 } } }],
    ['meter-01=refuse-reconnect', { meter: 'meter-01', effect: { kind: 'refuse', reason: 'other' }, schedule: { ...always, only: ['reconnect'] } }],
    ['meter-01=refuse-disconnect', { meter: 'meter-01', effect: { kind: 'refuse', reason: 'other' }, schedule: { ...always, only: ['disconnect'] } }],
    ['1=refuse:keep-power,only=disconnect', { meter: '1', effect: { kind: 'refuse', reason: 'keep-power' }, schedule: { ...always, only: ['disconnect'] } }],
    ['all=slow-bytes:300ms,after=1m,count=10', { meter: 'all', effect: { kind: 'slow-bytes', gapMs: 300 }, schedule: { ...always, afterMs: 60_000, count: 10 } }],
    ['m=delay:2s', { meter: 'm', effect: { kind: 'delay', delayMs: 2000 }, schedule: always }],
    ['m=truncated', { meter: 'm', effect: { kind: 'truncated' }, schedule: always }],
    ['m=truncated:0', { meter: 'm', effect: { kind: 'truncated', keepBytes: 0 }, schedule: always }],
    ['m=wrong-address:000000000009', { meter: 'm', effect: { kind: 'wrong-address', address: '000000000009' }, schedule: always }],
    ['m=missing:status-word-3', { meter: 'm', effect: { kind: 'missing', di: DataIdentifier.statusWord3 }, schedule: always }],
    ['m=missing:04000503', { meter: 'm', effect: { kind: 'missing', di: 0x04000503 }, schedule: always }],
    ['m=garbage,only=read+phase-a-voltage', { meter: 'm', effect: { kind: 'garbage' }, schedule: { ...always, only: ['read', { di: DataIdentifier.phaseAVoltage }] } }],
    [' m = silent , for = 1h ', { meter: 'm', effect: { kind: 'silent' }, schedule: { ...always, forMs: 3_600_000 } }],
  ])('%s', (text, expected) => {
    expect(parseFault(text)).toEqual(expected);
  });

  it.each<[string, string, RegExp]>([
    ['silent', 'meter', /expected METER=EFFECT/],
    ['=silent', 'meter', /expected METER=EFFECT/],
    ['a b=silent', "meter 'a b'", /12-digit address, all, or a meter id/],
    ['m=sil', "effect 'sil'", /expected one of silent, garbage, .*refuse-reconnect/],
    ['m=', "effect ''", /expected one of/],
    ['m=silent:3', 'silent', /takes no argument/],
    ['m=refuse-reconnect:x', 'refuse-reconnect', /takes no argument/],
    ['m=delay', 'delay', /needs the delay before the reply, e.g. delay:800ms/],
    ['m=delay:30', 'delay', /'30' needs a unit: ms, s, m or h/],
    ['m=delay:2d', 'delay', /'2d' is no duration/],
    ['m=delay:61s', 'delay', /out of range 0ms\.\.1m/],
    ['m=slow-bytes:0ms', 'slow-bytes', /out of range 1ms\.\.10s/],
    ['m=truncated:x', 'truncated', /whole number in 0\.\.300, got 'x'/],
    ['m=wrong-address:123', 'wrong-address', /12 digits, got '123'/],
    ['m=refuse:maybe', 'refuse', /one of other, keep-power, unauthorised, expired, got 'maybe'/],
    ['m=missing', 'missing', /needs a data identifier/],
    ['m=missing:zz', 'missing', /'zz' is no data identifier/],
    ['m=silent,for=0s', 'for', /out of range 1ms\.\.168h/],
    ['m=silent,for', 'for', /needs a value after =/],
    ['m=silent,for=1s,for=2s', 'for', /given twice/],
    ['m=silent,rate=6/5', 'rate', /1 <= N <= M/],
    ['m=silent,rate=half', 'rate', /expected N\/M/],
    ['m=silent,count=0', 'count', /whole number in 1\.\.1000000/],
    ['m=silent,only=dis', "only 'dis'", /expected read, read-address, control/],
    ['m=refuse-reconnect,only=disconnect', 'only', /refuse-reconnect already says which requests \(only=reconnect\)/],
    ['m=silent,soon=1s', "'soon=1s'", /expected one of only=…, after=…, for=…, rate=…, count=…/],
  ])('refuses %s, naming %s', (text, part, detail) => {
    let error: unknown;
    try {
      parseFault(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FaultSyntaxError);
    expect((error as FaultSyntaxError).part).toBe(part);
    expect((error as FaultSyntaxError).message).toMatch(detail);
    expect((error as FaultSyntaxError).message.startsWith(`--fault '${text}': ${part}: `)).toBe(true);
  });
});

const UNIT = fc.constantFrom(1, 1000, 60_000, 3_600_000);
const duration = (min: number, max: number): fc.Arbitrary<number> =>
  fc.tuple(fc.integer({ min: 0, max: 500 }), UNIT).map(([n, u]) => n * u).filter((ms) => ms >= min && ms <= max);
const DIS = Object.values(DataIdentifier);
const filterArb: fc.Arbitrary<RequestFilter> = fc.oneof(fc.constantFrom(...FILTER_WORDS), fc.constantFrom(...DIS, 0x12345678).map((di) => ({ di })));
const effectArb: fc.Arbitrary<FaultEffect> = fc.oneof(
  fc.constantFrom<FaultEffect>({ kind: 'silent' }, { kind: 'garbage' }, { kind: 'bad-checksum' }, { kind: 'truncated' }, { kind: 'wrong-address' }),
  fc.integer({ min: 0, max: 300 }).map((keepBytes): FaultEffect => ({ kind: 'truncated', keepBytes })),
  duration(1, 10_000).map((gapMs): FaultEffect => ({ kind: 'slow-bytes', gapMs })),
  duration(0, 60_000).map((delayMs): FaultEffect => ({ kind: 'delay', delayMs })),
  fc.stringMatching(/^\d{12}$/).map((address): FaultEffect => ({ kind: 'wrong-address', address })),
  fc.constantFrom(...REFUSALS).map((reason): FaultEffect => ({ kind: 'refuse', reason })),
  fc.constantFrom(...DIS, 0x0badf00d).map((di): FaultEffect => ({ kind: 'missing', di })),
);
const specArb: fc.Arbitrary<FaultSpec> = fc.record({
  meter: fc.oneof(fc.stringMatching(/^\d{12}$/), fc.constant('all'), fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/)),
  effect: effectArb,
  schedule: fc.record({
    only: fc.option(fc.array(filterArb, { minLength: 1, maxLength: 4 }), { nil: null }),
    afterMs: duration(0, 7 * 86_400_000),
    forMs: fc.option(duration(1, 7 * 86_400_000), { nil: null }),
    rate: fc.option(fc.integer({ min: 1, max: 1000 }).chain((of) => fc.integer({ min: 1, max: of }).map((hits) => ({ hits, of }))), { nil: null }),
    count: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: null }),
  }),
});

describe('formatFault', () => {
  it('writes every fault so that parseFault reads it back the same', () => {
    fc.assert(fc.property(specArb, (spec) => {
      expect(parseFault(formatFault(spec))).toEqual(spec);
    }), { numRuns: 500 });
  });

  it('parseFault either reads a text or refuses it with a FaultSyntaxError, never anything else', () => {
    const word = fc.constantFrom('m', 'silent', 'refuse', 'delay', 'missing', 'only', 'for', 'rate', 'count', '1/5', '30s', 'status-word-3', 'x', '');
    const text = fc.array(fc.oneof(word, fc.constantFrom('=', ',', ':', '+'), fc.string({ maxLength: 4 })), { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(fc.property(text, (input) => {
      try {
        const spec = parseFault(input);
        expect(parseFault(formatFault(spec))).toEqual(spec);
      } catch (error) {
        expect(error).toBeInstanceOf(FaultSyntaxError);
      }
    }), { numRuns: 2000 });
  });
});

describe('the --fault help', () => {
  it('names every effect, request word and refusal reason', () => {
    for (const word of [...EFFECTS, ...FILTER_WORDS, ...REFUSALS, 'refuse-reconnect', 'refuse-disconnect', 'only=', 'after=', 'for=', 'rate=', 'count=']) {
      expect(FAULT_HELP, word).toMatch(new RegExp(`(^|[\\s,(:])${word.replace(/[+=]/g, '\\$&')}`));
    }
  });
});
