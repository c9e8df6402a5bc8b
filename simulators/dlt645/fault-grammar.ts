// The fault grammar of the simulator's command line: one `--fault` names a meter, what it does
// wrong, and when. Pure text in, a FaultSpec out (faults.ts turns it into a behaviour); an error
// names the part that was wrong and what was expected.
//
//   --fault METER=EFFECT[:ARG][,KEY=VALUE]...
//
//   000000000003=silent,for=30s              silent for the first 30 s, then answers again
//   000000000002=bad-checksum,rate=1/5       a wrong checksum on 1 reply in 5
//   000000000001=refuse-reconnect            refuses every reconnect (1B and 1C)
//   all=slow-bytes:300ms,after=1m,count=10   10 slow replies, from one minute after start
import { DataIdentifier, type ControlRefusal } from '../../protocols/dlt645/index.js';

export type FaultEffect =
  | { kind: 'silent' }
  | { kind: 'garbage' }
  | { kind: 'bad-checksum' }
  | { kind: 'truncated'; keepBytes?: number }
  | { kind: 'slow-bytes'; gapMs: number }
  | { kind: 'delay'; delayMs: number }
  | { kind: 'wrong-address'; address?: string }
  | { kind: 'refuse'; reason: ControlRefusal }
  | { kind: 'missing'; di: number };

export type EffectKind = FaultEffect['kind'];

/** Which requests a fault looks at: a function, a 1CH action, or reads of one data identifier. */
export type RequestFilter =
  | 'read'
  | 'read-address'
  | 'control'
  | 'disconnect'
  | 'reconnect'
  | 'close-permitted'
  | 'direct-close'
  | 'alarm'
  | 'alarm-release'
  | 'keep-power'
  | 'keep-power-release'
  | { di: number };

export interface FaultSchedule {
  /** Requests the fault looks at; null: every request but broadcast time. */
  only: RequestFilter[] | null;
  /** Active from this long after the simulator started. */
  afterMs: number;
  /** Active for this long (from `afterMs`); null: for ever. */
  forMs: number | null;
  /** Hits `hits` of every `of` requests it looks at (the first of each run); null: every one. */
  rate: { hits: number; of: number } | null;
  /** Spent after this many hits; null: never. */
  count: number | null;
}

export interface FaultSpec {
  /** As written: a 12-digit address, `all`, or a name the caller resolves (the demo's meter ids). */
  meter: string;
  effect: FaultEffect;
  schedule: FaultSchedule;
}

export class FaultSyntaxError extends Error {
  readonly code = 'FAULT_SYNTAX';
  constructor(
    readonly text: string,
    readonly part: string,
    detail: string,
  ) {
    super(`--fault '${text}': ${part}: ${detail}`);
    this.name = 'FaultSyntaxError';
  }
}

export const REFUSALS: readonly ControlRefusal[] = ['other', 'keep-power', 'unauthorised', 'expired'];
export const EFFECTS: readonly EffectKind[] = ['silent', 'garbage', 'bad-checksum', 'truncated', 'slow-bytes', 'delay', 'wrong-address', 'refuse', 'missing'];
/** Shorthands: an effect with its filter. */
const SHORTHANDS: Readonly<Record<string, { effect: FaultEffect; only: RequestFilter[] }>> = {
  'refuse-reconnect': { effect: { kind: 'refuse', reason: 'other' }, only: ['reconnect'] },
  'refuse-disconnect': { effect: { kind: 'refuse', reason: 'other' }, only: ['disconnect'] },
};
export const FILTER_WORDS: readonly Exclude<RequestFilter, { di: number }>[] = [
  'read', 'read-address', 'control', 'disconnect', 'reconnect', 'close-permitted', 'direct-close',
  'alarm', 'alarm-release', 'keep-power', 'keep-power-release',
];
const KEYS = ['only', 'after', 'for', 'rate', 'count'] as const;
/** Longest duration accepted anywhere: a week. */
const MAX_DURATION_MS = 7 * 86_400_000;
const MAX_GAP_MS = 10_000;
const MAX_DELAY_MS = 60_000;
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** DataIdentifier keys in the words of the command line: statusWord3 → status-word-3. */
const DI_BY_NAME = new Map<string, number>(
  Object.entries(DataIdentifier).map(([name, di]) => [
    name.replace(/([a-z])([A-Z0-9])/g, '$1-$2').replace(/([0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase(),
    di,
  ]),
);
const NAME_BY_DI = new Map<number, string>([...DI_BY_NAME].map(([name, di]) => [di, name]));

export function parseFault(text: string): FaultSpec {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new FaultSyntaxError(text, 'meter', "expected METER=EFFECT, e.g. '000000000003=silent'");
  const meter = text.slice(0, eq).trim();
  if (!/^[A-Za-z0-9_.-]+$/.test(meter)) throw new FaultSyntaxError(text, `meter '${meter}'`, 'expected a 12-digit address, all, or a meter id');
  const [head = '', ...options] = text.slice(eq + 1).split(',');
  const schedule: FaultSchedule = { only: null, afterMs: 0, forMs: null, rate: null, count: null };
  const effect = parseEffect(text, head.trim(), schedule);
  const seen = new Set<string>();
  for (const option of options) {
    const at = option.indexOf('=');
    const key = (at < 0 ? option : option.slice(0, at)).trim();
    const value = at < 0 ? '' : option.slice(at + 1).trim();
    if (!(KEYS as readonly string[]).includes(key)) throw new FaultSyntaxError(text, `'${option}'`, `expected one of ${KEYS.map((k) => `${k}=…`).join(', ')}`);
    if (at < 0 || value === '') throw new FaultSyntaxError(text, key, 'needs a value after =');
    if (seen.has(key)) throw new FaultSyntaxError(text, key, 'given twice');
    seen.add(key);
    if (key === 'only') schedule.only = [...(schedule.only ?? []), ...value.split('+').map((w) => parseFilter(text, w.trim()))];
    else if (key === 'after') schedule.afterMs = parseDuration(text, key, value, MAX_DURATION_MS);
    else if (key === 'for') schedule.forMs = parseDuration(text, key, value, MAX_DURATION_MS, 1);
    else if (key === 'rate') schedule.rate = parseRate(text, value);
    else schedule.count = parseWhole(text, key, value, 1, 1_000_000);
  }
  return { meter, effect, schedule };
}

function parseEffect(text: string, head: string, schedule: FaultSchedule): FaultEffect {
  const colon = head.indexOf(':');
  const name = colon < 0 ? head : head.slice(0, colon);
  const arg = colon < 0 ? undefined : head.slice(colon + 1);
  const shorthand = SHORTHANDS[name];
  if (shorthand) {
    if (arg !== undefined) throw new FaultSyntaxError(text, name, 'takes no argument');
    schedule.only = [...shorthand.only];
    return { ...shorthand.effect };
  }
  if (!(EFFECTS as readonly string[]).includes(name)) {
    throw new FaultSyntaxError(text, `effect '${name}'`, `expected one of ${[...EFFECTS, ...Object.keys(SHORTHANDS)].join(', ')}`);
  }
  const kind = name as EffectKind;
  const needs = (what: string): string => {
    if (arg === undefined || arg === '') throw new FaultSyntaxError(text, kind, `needs ${what}, e.g. ${EXAMPLE_ARG[kind]}`);
    return arg;
  };
  const none = (): void => {
    if (arg !== undefined) throw new FaultSyntaxError(text, kind, 'takes no argument');
  };
  switch (kind) {
    case 'silent':
    case 'garbage':
    case 'bad-checksum':
      none();
      return { kind };
    case 'truncated':
      return arg === undefined ? { kind } : { kind, keepBytes: parseWhole(text, kind, arg, 0, 300) };
    case 'slow-bytes':
      return { kind, gapMs: parseDuration(text, kind, needs('the pause between bytes'), MAX_GAP_MS, 1) };
    case 'delay':
      return { kind, delayMs: parseDuration(text, kind, needs('the delay before the reply'), MAX_DELAY_MS) };
    case 'wrong-address':
      if (arg === undefined) return { kind };
      if (!/^\d{12}$/.test(arg)) throw new FaultSyntaxError(text, kind, `the address must be 12 digits, got '${arg}'`);
      return { kind, address: arg };
    case 'refuse':
      if (arg === undefined) return { kind, reason: 'other' };
      if (!(REFUSALS as readonly string[]).includes(arg)) throw new FaultSyntaxError(text, kind, `the reason must be one of ${REFUSALS.join(', ')}, got '${arg}'`);
      return { kind, reason: arg as ControlRefusal };
    case 'missing':
      return { kind, di: parseDi(text, kind, needs('a data identifier')) };
  }
}

const EXAMPLE_ARG: Readonly<Record<EffectKind, string>> = {
  silent: 'silent', garbage: 'garbage', 'bad-checksum': 'bad-checksum', truncated: 'truncated:10',
  'slow-bytes': 'slow-bytes:300ms', delay: 'delay:800ms', 'wrong-address': 'wrong-address:000000000009',
  refuse: 'refuse:keep-power', missing: 'missing:status-word-3',
};

function parseFilter(text: string, word: string): RequestFilter {
  if ((FILTER_WORDS as readonly string[]).includes(word)) return word as RequestFilter;
  if (/^[0-9a-fA-F]{8}$/.test(word) || DI_BY_NAME.has(word)) return { di: parseDi(text, 'only', word) };
  throw new FaultSyntaxError(text, `only '${word}'`, `expected ${FILTER_WORDS.join(', ')}, or a data identifier (8 hex digits or a name such as status-word-3)`);
}

function parseDi(text: string, part: string, word: string): number {
  const named = DI_BY_NAME.get(word);
  if (named !== undefined) return named;
  if (/^[0-9a-fA-F]{8}$/.test(word)) return Number.parseInt(word, 16);
  throw new FaultSyntaxError(text, part, `'${word}' is no data identifier: 8 hex digits (04000503) or a name (${[...DI_BY_NAME.keys()].slice(0, 3).join(', ')}, …)`);
}

function parseDuration(text: string, part: string, value: string, maxMs: number, minMs = 0): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(value);
  if (!match) throw new FaultSyntaxError(text, part, `'${value}' is no duration: a whole number with ms, s, m or h (e.g. 30s)`);
  const [, digits = '', unit] = match;
  if (unit === undefined) throw new FaultSyntaxError(text, part, `'${value}' needs a unit: ms, s, m or h (e.g. ${value}s)`);
  const ms = Number(digits) * (UNITS[unit] ?? 1);
  if (!(ms >= minMs && ms <= maxMs)) throw new FaultSyntaxError(text, part, `'${value}' is out of range ${formatDuration(minMs)}..${formatDuration(maxMs)}`);
  return ms;
}

function parseWhole(text: string, part: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new FaultSyntaxError(text, part, `expected a whole number in ${min}..${max}, got '${value}'`);
  }
  return Number(value);
}

function parseRate(text: string, value: string): { hits: number; of: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match) throw new FaultSyntaxError(text, 'rate', `expected N/M (N of every M requests, e.g. 1/5), got '${value}'`);
  const hits = Number(match[1]);
  const of = Number(match[2]);
  if (!(of >= 1 && of <= 1_000_000 && hits >= 1 && hits <= of)) {
    throw new FaultSyntaxError(text, 'rate', `N/M needs 1 <= N <= M <= 1000000, got '${value}'`);
  }
  return { hits, of };
}

/** The shortest duration text for `ms` (what parseDuration reads back). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function formatFilter(filter: RequestFilter): string {
  return typeof filter === 'string' ? filter : (NAME_BY_DI.get(filter.di) ?? filter.di.toString(16).padStart(8, '0').toUpperCase());
}

/** The fault as the command line writes it; parseFault(formatFault(s)) equals s. */
export function formatFault(spec: FaultSpec): string {
  const { effect, schedule } = spec;
  const arg =
    effect.kind === 'truncated' && effect.keepBytes !== undefined ? `:${effect.keepBytes}`
      : effect.kind === 'slow-bytes' ? `:${formatDuration(effect.gapMs)}`
        : effect.kind === 'delay' ? `:${formatDuration(effect.delayMs)}`
          : effect.kind === 'wrong-address' && effect.address !== undefined ? `:${effect.address}`
            : effect.kind === 'refuse' ? `:${effect.reason}`
              : effect.kind === 'missing' ? `:${formatFilter({ di: effect.di })}`
                : '';
  const options = [
    schedule.only ? `only=${schedule.only.map(formatFilter).join('+')}` : '',
    schedule.afterMs ? `after=${formatDuration(schedule.afterMs)}` : '',
    schedule.forMs !== null ? `for=${formatDuration(schedule.forMs)}` : '',
    schedule.rate ? `rate=${schedule.rate.hits}/${schedule.rate.of}` : '',
    schedule.count !== null ? `count=${schedule.count}` : '',
  ].filter(Boolean);
  return [`${spec.meter}=${effect.kind}${arg}`, ...options].join(',');
}
