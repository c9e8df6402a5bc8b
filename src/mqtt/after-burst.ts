// Memory back to its idle level after a burst. A burst leaves a large heap behind — the garbage
// of decoded messages and pending rows — and V8 collects its old generation only when allocation
// reaches the heap's limit, which a daemon gone quiet never does: RSS would stay at the burst's
// level until the next burst. So once the ingest has committed at least `afterReadings` readings
// and then nothing for `quietMs`, one full collection runs (a pause of some hundreds of ms while
// nothing arrives), and V8 gives the emptied pages back to the system.
//
//   committed(n) … committed(n) ─▶ (quietMs without one, ≥ afterReadings since the last) ─▶ gc()
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from 'pino';

export interface AfterBurstOptions {
  /** readings committed since the last collection that make a burst; 0 = never collect */
  afterReadings: number;
  quietMs: number;
}

/**
 * V8's full collection as under memory pressure (the "last-resort" flavour: collections until
 * nothing more is freed, compacting, and the freed pages given back to the system rather than
 * kept pooled for the next allocation). The flag exposes `gc` to contexts created from now on.
 */
function fullCollection(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as (options?: { type: string; execution: string; flavor: string }) => void)({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

export class AfterBurstCollector {
  private readings = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: AfterBurstOptions, private readonly logger: Logger, private readonly collect: () => void = fullCollection) {}

  /** The ingest committed `n` readings. */
  committed(n: number): void {
    if (this.options.afterReadings === 0) return;
    this.readings += n;
    if (this.timer) this.timer.refresh();
    else if (this.readings >= this.options.afterReadings) {
      this.timer = setTimeout(() => this.quiet(), this.options.quietMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private quiet(): void {
    this.timer = null;
    const before = process.memoryUsage();
    const started = performance.now();
    this.collect();
    const after = process.memoryUsage();
    this.logger.info({
      readings: this.readings, ms: Math.round(performance.now() - started),
      heapUsedMiB: [before.heapUsed, after.heapUsed].map((b) => Math.round(b / 2 ** 20)), rssMiB: [before.rss, after.rss].map((b) => Math.round(b / 2 ** 20)),
    }, 'ingest quiet after a burst: memory collected');
    this.readings = 0;
  }
}
