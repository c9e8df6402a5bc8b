// Median and spread of repeated runs, and percentiles of latency samples.

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

/** "n=3 min–max (±x % of the median)": how far apart the runs were. */
export function spread(values: number[], digits = 1): string {
  if (values.length === 0) return 'n=0';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const m = median(values);
  const half = m === 0 ? 0 : ((hi - lo) / 2 / Math.abs(m)) * 100;
  return `n=${values.length} ${lo.toFixed(digits)}–${hi.toFixed(digits)} (±${half.toFixed(0)} %)`;
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times, returning each run's figure. */
export async function repeat(runs: number, warmup: number, fn: (run: number) => Promise<number> | number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn(i));
  return out;
}
