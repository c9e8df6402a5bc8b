// Figure lines: every benchmark prints one JSON line per figure at the end of its stdout, and
// run-all collects them. Also the smoke switch (BENCH_SMOKE=1: tiny sizes, seconds) and the
// machine load to print next to each figure.
import { loadavg } from 'node:os';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** the bare-stack or physical limit measured in the same run, in the same unit */
  reference: number | null;
  /** value / reference */
  ratio: number | null;
  /** optional extras: spread of the runs, machine load, what was measured */
  spread?: string;
  load?: string;
  note?: string;
}

export function isSmoke(): boolean {
  return process.env.BENCH_SMOKE === '1';
}

/** Picks the full-size or the smoke-size value. */
export function size<T>(full: T, smoke: T): T {
  return isSmoke() ? smoke : full;
}

/** The 1-minute load average, as `uptime` prints it. */
export function loadNow(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

export function figure(name: string, value: number, unit: string, reference: number | null = null,
  extra: Pick<Figure, 'spread' | 'note'> = {}): Figure {
  const ratio = reference !== null && reference !== 0 ? value / reference : null;
  return { name, value, unit, reference, ratio, ...extra, load: loadNow() };
}

/** Prints figure lines; call once, at the very end of a benchmark. */
export function emit(figures: Figure[]): void {
  for (const f of figures) process.stdout.write(JSON.stringify(f) + '\n');
}

function isFigure(v: unknown): v is Figure {
  const f = v as Partial<Figure> | null;
  return typeof f === 'object' && f !== null && typeof f.name === 'string' && typeof f.value === 'number'
    && typeof f.unit === 'string' && 'reference' in f && 'ratio' in f;
}

/** The figure lines in a benchmark's stdout; other lines are ignored. */
export function parseFigures(stdout: string): Figure[] {
  const out: Figure[] = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v: unknown = JSON.parse(t);
      if (isFigure(v)) out.push(v);
    } catch {
      /* not a figure line */
    }
  }
  return out;
}

/** Progress for people, on stderr so stdout stays figure lines. */
export function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
