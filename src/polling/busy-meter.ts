// Busy time of a bus over a trailing window, for the utilisation metric: one-second buckets of
// busy milliseconds, so the figure follows the last minute rather than the bus's whole life.
const BUCKET_MS = 1000;

export class BusyMeter {
  private readonly buckets: Float64Array;
  /** Index (time / BUCKET_MS) of the newest bucket written. */
  private newest = -1;
  private busySince: number | null = null;
  /** Busy time since the bus was created, ms. */
  totalMs = 0;

  constructor(private readonly createdAt: number, private readonly windowMs = 60_000) {
    this.buckets = new Float64Array(Math.max(1, Math.ceil(windowMs / BUCKET_MS)));
  }

  start(at: number): void {
    if (this.busySince === null) this.busySince = at;
  }

  stop(at: number): void {
    if (this.busySince === null) return;
    this.add(this.busySince, at);
    this.busySince = null;
  }

  /** Share of the trailing window spent busy, 0..1 (an exchange in flight counts up to now). */
  ratio(now: number): number {
    if (this.busySince !== null) {
      this.add(this.busySince, now);
      this.busySince = now;
    }
    this.advance(Math.floor(now / BUCKET_MS));
    let busy = 0;
    for (const b of this.buckets) busy += b;
    const span = Math.min(now - this.createdAt, (this.buckets.length - 1) * BUCKET_MS + (now % BUCKET_MS));
    return span > 0 ? Math.min(1, busy / span) : 0;
  }

  private add(from: number, to: number): void {
    if (to <= from) return;
    this.totalMs += to - from;
    for (let t = from; t < to;) {
      const index = Math.floor(t / BUCKET_MS);
      const end = Math.min(to, (index + 1) * BUCKET_MS);
      this.advance(index);
      if (this.newest - index < this.buckets.length) this.buckets[index % this.buckets.length]! += end - t;
      t = end;
    }
  }

  /** Clears buckets that fell out of the window on the way to `index`. */
  private advance(index: number): void {
    if (index <= this.newest) return;
    const steps = Math.min(this.buckets.length, index - this.newest);
    for (let i = 1; i <= steps; i++) this.buckets[(this.newest + i) % this.buckets.length] = 0;
    this.newest = index;
  }
}
