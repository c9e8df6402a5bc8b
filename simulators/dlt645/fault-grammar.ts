// The fault grammar of the DL/T 645 simulator's command line: one `--fault` names a meter, what it
// does wrong, and when (the schedule, shared with the Modbus simulator: ../fault-schedule.ts). Pure
// text in, a FaultSpec out (faults.ts turns it into a behaviour); an error names the part that was
// wrong and what was expected.
//
//   --fault METER=EFFECT[:ARG][,KEY=VALUE]...
//
//   000000000003=silent,for=30s              silent for the first 30 s, then answers again
//   000000000002=bad-checksum,rate=1/5       a wrong checksum on 1 reply in 5
//   000000000001=refuse-reconnect            refuses every reconnect (1B and 1C)
//   all=slow-bytes:300ms,after=1m,count=10   10 slow replies, from one minute after start
import { DataIdentifier, type ControlRefusal } from '../../protocols/dlt645/index.js';
import {
  FaultSyntaxError,
  formatDuration,
  formatSchedule,
  parseDuration,
  parseSchedule,
  parseWhole,
  splitFault,
  type FaultSchedule as Schedule,
} from '../fault-schedule.js';

export { FaultSyntaxError, formatDuration };

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

/** When a fault shows (fault-schedule.ts); `only` null: every request but broadcast time. */
export type FaultSchedule = Schedule<RequestFilter>;

export interface FaultSpec {
  /** As written: a 12-digit address, `all`, or a name the caller resolves (the demo's meter ids). */
  meter: string;
  effect: FaultEffect;
  schedule: FaultSchedule;
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
const MAX_GAP_MS = 10_000;
const MAX_DELAY_MS = 60_000;

/** DataIdentifier keys in the words of the command line: statusWord3 → status-word-3. */
const DI_BY_NAME = new Map<string, number>(
  Object.entries(DataIdentifier).map(([name, di]) => [
    name.replace(/([a-z])([A-Z0-9])/g, '$1-$2').replace(/([0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase(),
    di,
  ]),
);
const NAME_BY_DI = new Map<number, string>([...DI_BY_NAME].map(([name, di]) => [di, name]));

export function parseFault(text: string): FaultSpec {
  const { meter, head, options } = splitFault(text);
  const shorthand = SHORTHANDS[head];
  const effect = shorthand ? { ...shorthand.effect } : parseEffect(text, head);
  const schedule = parseSchedule(text, options, (word) => parseFilter(text, word));
  if (shorthand) {
    if (schedule.only) throw new FaultSyntaxError(text, 'only', `${head} already says which requests (only=${shorthand.only.join('+')}); use refuse,only=… instead`);
    schedule.only = [...shorthand.only];
  }
  return { meter, effect, schedule };
}

function parseEffect(text: string, head: string): FaultEffect {
  const colon = head.indexOf(':');
  const name = colon < 0 ? head : head.slice(0, colon);
  const arg = colon < 0 ? undefined : head.slice(colon + 1);
  if (SHORTHANDS[name]) throw new FaultSyntaxError(text, name, 'takes no argument');
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
  return [`${spec.meter}=${effect.kind}${arg}`, ...formatSchedule(schedule, formatFilter)].join(',');
}
