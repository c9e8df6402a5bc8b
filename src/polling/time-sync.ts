// Broadcast time sync (广播校时) on one bus: at start and then every `intervalMs`, one 08H frame to
// 999999999999 carrying the head-end's clock. No meter answers a broadcast; the bus leaves the line
// quiet for a moment after it. Only buses with DL/T 645 meters get it (a Modbus-only line would
// just hear noise). Every 0x1C carries a validity deadline that the meter checks against its own
// clock, so the clock must be right for the deadline to mean anything.
//
// DL/T 645-2007 §7.6 (广播校时): data ss mm hh DD MM YY, no reply.
import type { Logger } from 'pino';
import type { Dlt645Driver } from './dlt645-driver.js';

export interface TimeSyncOptions {
  /** Pause between broadcasts, ms; 0 turns time sync off. */
  intervalMs: number;
}

export class TimeSync {
  readonly stats = { broadcasts: 0, failures: 0, lastAt: null as number | null };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    readonly busId: string,
    private readonly driver: Dlt645Driver,
    /** Whether the bus has DL/T 645 meters now. */
    private readonly hasMeters: () => boolean,
    private readonly logger: Logger,
    private readonly options: TimeSyncOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts the schedule (again after a stop: the bus's lease was taken back). */
  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.stopped = false;
    void this.sync();
    this.timer = setInterval(() => void this.sync(), this.options.intervalMs);
  }

  /** Stops the schedule; a broadcast still queued ends when the bus closes. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One broadcast now (skipped while one is still queued, or when the bus has no DL/T 645 meter). */
  sync(): Promise<void> {
    if (this.running || this.stopped || !this.hasMeters()) return this.running ?? Promise.resolve();
    this.running = this.driver.broadcastTime(() => new Date(this.now())).then(
      () => {
        this.stats.broadcasts++;
        this.stats.lastAt = this.now();
        this.logger.info({ bus: this.busId }, 'broadcast time sync sent');
      },
      (err: Error) => {
        this.stats.failures++;
        if (this.stopped) return;
        this.logger.warn({ bus: this.busId, err: err.message }, 'broadcast time sync failed');
      },
    ).finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
