// CPU of several processes together over an interval (a daemon pair, a database server's
// processes), read from /proc as proc.ts reads one.
import { cpuSeconds } from './proc.js';

/** Samples until `stop()`, which gives the processes' CPU together, % of one core (NaN for none). */
export function sampleCpu(pids: number[]): { stop(): number } {
  const t0 = process.hrtime.bigint();
  const cpu0 = pids.map((pid) => cpuSeconds(pid));
  return {
    stop() {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const used = pids.reduce((sum, pid, i) => sum + (cpuSeconds(pid) - cpu0[i]!), 0);
      return pids.length > 0 && seconds > 0 ? (used / seconds) * 100 : NaN;
    },
  };
}
