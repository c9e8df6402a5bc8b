// The schedule part of a `--fault` (shared by the DL/T 645 and the Modbus simulators): the words
// `after=`, `for=`, `rate=`, `count=` and the list of `only=`, how they are read and written, and
// the decision they make for each request.
//
//   request ─▶ looked at? (only) ─▶ in the window [after, after+for)? ─▶ count not spent?
//           ─▶ the k-th looked at: hit when (k-1) mod M < N ─▶ the effect; otherwise it passes on

export interface FaultSchedule<F> {
  /** Requests the fault looks at; null: the protocol's default. */
  only: F[] | null;
  /** Active from this long after the simulator started. */
  afterMs: number;
  /** Active for this long (from `afterMs`); null: for ever. */
  forMs: number | null;
  /** Hits `hits` of every `of` requests it looks at (the first of each run); null: every one. */
  rate: { hits: number; of: number } | null;
  /** Spent after this many hits; null: never. */
  count: number | null;
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

export const SCHEDULE_KEYS = ['only', 'after', 'for', 'rate', 'count'] as const;
/** Longest duration accepted anywhere: a week. */
const MAX_DURATION_MS = 7 * 86_400_000;
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Splits `METER=HEAD,OPTION,...`; the meter must be a plain word. */
export function splitFault(text: string): { meter: string; head: string; options: string[] } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new FaultSyntaxError(text, 'meter', "expected METER=EFFECT, e.g. '000000000003=silent'");
  const meter = text.slice(0, eq).trim();
  if (!/^[A-Za-z0-9_.-]+$/.test(meter)) throw new FaultSyntaxError(text, `meter '${meter}'`, 'expected a 12-digit address, all, or a meter id');
  const [head = '', ...options] = text.slice(eq + 1).split(',');
  return { meter, head: head.trim(), options };
}

/** Reads the KEY=VALUE options; `parseFilter` reads one word of `only=`. */
export function parseSchedule<F>(text: string, options: readonly string[], parseFilter: (word: string) => F): FaultSchedule<F> {
  const schedule: FaultSchedule<F> = { only: null, afterMs: 0, forMs: null, rate: null, count: null };
  const seen = new Set<string>();
  for (const option of options) {
    const at = option.indexOf('=');
    const key = (at < 0 ? option : option.slice(0, at)).trim();
    const value = at < 0 ? '' : option.slice(at + 1).trim();
    if (!(SCHEDULE_KEYS as readonly string[]).includes(key)) {
      throw new FaultSyntaxError(text, `'${option}'`, `expected one of ${SCHEDULE_KEYS.map((k) => `${k}=…`).join(', ')}`);
    }
    if (at < 0 || value === '') throw new FaultSyntaxError(text, key, 'needs a value after =');
    if (seen.has(key)) throw new FaultSyntaxError(text, key, 'given twice');
    seen.add(key);
    if (key === 'only') schedule.only = value.split('+').map((w) => parseFilter(w.trim()));
    else if (key === 'after') schedule.afterMs = parseDuration(text, key, value, MAX_DURATION_MS);
    else if (key === 'for') schedule.forMs = parseDuration(text, key, value, MAX_DURATION_MS, 1);
    else if (key === 'rate') schedule.rate = parseRate(text, value);
    else schedule.count = parseWhole(text, key, value, 1, 1_000_000);
  }
  return schedule;
}

export function parseDuration(text: string, part: string, value: string, maxMs: number, minMs = 0): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(value);
  if (!match) throw new FaultSyntaxError(text, part, `'${value}' is no duration: a whole number with ms, s, m or h (e.g. 30s)`);
  const [, digits = '', unit] = match;
  if (unit === undefined) throw new FaultSyntaxError(text, part, `'${value}' needs a unit: ms, s, m or h (e.g. ${value}s)`);
  const ms = Number(digits) * (UNITS[unit] ?? 1);
  if (!(ms >= minMs && ms <= maxMs)) throw new FaultSyntaxError(text, part, `'${value}' is out of range ${formatDuration(minMs)}..${formatDuration(maxMs)}`);
  return ms;
}

export function parseWhole(text: string, part: string, value: string, min: number, max: number): number {
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

/** The options as `--fault` writes them (empty when the schedule is "always"). */
export function formatSchedule<F>(schedule: FaultSchedule<F>, formatFilter: (filter: F) => string): string[] {
  return [
    schedule.only ? `only=${schedule.only.map(formatFilter).join('+')}` : '',
    schedule.afterMs ? `after=${formatDuration(schedule.afterMs)}` : '',
    schedule.forMs !== null ? `for=${formatDuration(schedule.forMs)}` : '',
    schedule.rate ? `rate=${schedule.rate.hits}/${schedule.rate.of}` : '',
    schedule.count !== null ? `count=${schedule.count}` : '',
  ].filter(Boolean);
}

/**
 * The running schedule of one fault on one meter. `consider` says whether a request it looks at
 * is to be hit; `hit` records that the effect acted. Time is from `clock`, counted from creation.
 */
export class ScheduleState<F> {
  private readonly start: number;
  private seen = 0;
  private hits = 0;

  constructor(
    private readonly schedule: FaultSchedule<F>,
    private readonly clock: () => number,
  ) {
    this.start = clock();
  }

  consider(): boolean {
    const { afterMs, forMs, rate, count } = this.schedule;
    const elapsed = this.clock() - this.start;
    if (elapsed < afterMs || (forMs !== null && elapsed >= afterMs + forMs)) return false;
    if (count !== null && this.hits >= count) return false;
    this.seen += 1;
    return rate === null || (this.seen - 1) % rate.of < rate.hits;
  }

  /** Records a hit and returns its 1-based number. */
  hit(): number {
    this.hits += 1;
    return this.hits;
  }
}
