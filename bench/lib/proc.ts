// CPU and RSS of a process, read from /proc (Linux): a sampler that runs while a benchmark loads
// the process, and one-shot reads.
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ; 100 on every Linux this runs on

/** Resident set size in bytes (VmRSS), or NaN once the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** utime + stime of the process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name in parentheses; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

export interface ProcessSample {
  /** average CPU over the sampled interval, % of one core */
  cpuPercent: number;
  rssPeakBytes: number;
  rssLastBytes: number;
}

/** Samples a process until `stop()`; CPU is the total over the interval, RSS the peak and the last. */
export function sampleProcess(pid: number, intervalMs = 200): { stop(): ProcessSample } {
  const cpu0 = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  let peak = rssBytes(pid);
  let last = peak;
  const timer = setInterval(() => {
    const r = rssBytes(pid);
    if (!Number.isNaN(r)) {
      last = r;
      peak = Math.max(peak, r);
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = cpuSeconds(pid) - cpu0;
      const r = rssBytes(pid);
      if (!Number.isNaN(r)) last = r;
      return { cpuPercent: seconds > 0 ? (cpu / seconds) * 100 : NaN, rssPeakBytes: Math.max(peak, last), rssLastBytes: last };
    },
  };
}

/** Waits until the process uses less than `idlePercent` of a core over `windowMs` (or `maxMs` passes). */
export async function waitIdle(pid: number, idlePercent = 5, windowMs = 1000, maxMs = 120_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    const c0 = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, windowMs));
    const used = ((cpuSeconds(pid) - c0) / (windowMs / 1000)) * 100;
    if (used < idlePercent || Date.now() - start > maxMs || Number.isNaN(used)) return Date.now() - start;
  }
}
