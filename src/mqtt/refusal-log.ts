// A warn log that says each thing at most once per interval: a hostile or misconfigured client
// refused again and again must not flood the log. The first refusal of a key is logged at once;
// later ones within the interval are counted and reported (`suppressed`) with the next one logged.
import type { Logger } from 'pino';

/** Keys remembered at most; beyond, keys quiet for an interval are forgotten. */
const MAX_KEYS = 10_000;

export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs `message` with `fields` at warn unless `key` was logged less than the interval ago; true when logged. */
  warn(key: string, fields: Record<string, unknown>, message: string): boolean {
    const at = this.now();
    const seen = this.last.get(key);
    if (seen && at - seen.at < this.intervalMs) {
      seen.suppressed++;
      return false;
    }
    if (!seen && this.last.size >= MAX_KEYS) this.forgetQuiet(at);
    this.logger.warn(seen && seen.suppressed > 0 ? { ...fields, suppressed: seen.suppressed } : fields, message);
    this.last.set(key, { at, suppressed: 0 });
    return true;
  }

  private forgetQuiet(at: number): void {
    for (const [key, seen] of this.last) if (at - seen.at >= this.intervalMs) this.last.delete(key);
    // Every key logged within the interval: forget them all rather than grow without bound.
    if (this.last.size >= MAX_KEYS) this.last.clear();
  }
}
