// Scheduled collection (采集) on one bus: reads every meter's forward active energy and status
// word 3 at the configured interval, at the lowest priority, and hands the values to the ledger.
// A silent meter costs the bus one timeout per attempt and is marked offline after repeated
// failures; it never stalls the others.
import type { Logger } from 'pino';
import type { Repositories, MeterRow } from '../db/repo/index.js';
import type { EventBus } from '../events.js';
import type { Metrics } from '../metrics.js';
import { recordReading } from '../ledger/consumption.js';
import type { Dlt645Driver } from './dlt645-driver.js';

export interface PollerOptions {
  intervalMs: number;
  offlineAfterFailures: number;
}

export class BusPoller {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private cycle: Promise<void> | null = null;
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly busId: string,
    private readonly driver: Dlt645Driver,
    private readonly repos: Repositories,
    private readonly events: EventBus,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly options: PollerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      const started = this.now();
      this.cycle = this.pollAll().finally(() => {
        this.cycle = null;
        if (!this.stopped) this.timer = setTimeout(loop, Math.max(0, this.options.intervalMs - (this.now() - started)));
      });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.cycle?.catch(() => {});
  }

  async pollAll(): Promise<void> {
    const meters = this.repos.meters.onBus(this.busId).filter((m) => m.protocol === 'dlt645');
    // Queue every meter at once: the bus serialises them and keeps commands ahead.
    await Promise.all(meters.map((m) => this.pollMeter(m)));
  }

  async pollMeter(meter: MeterRow, priority: 'poll' | 'read' = 'poll'): Promise<void> {
    try {
      const energyWh = await this.driver.readEnergyWh(meter.address, priority);
      const status = await this.driver.readStatusWord3(meter.address, priority);
      if (this.stopped && priority === 'poll') return;
      const at = this.now();
      const result = this.repos.transaction(() => {
        const r = recordReading(this.repos, { meterId: meter.id, ts: at, energyWh }, at);
        this.repos.meters.setRelayState(meter.id, status.relayOpen ? 'open' : 'closed', at);
        if (!meter.online) this.repos.meters.setOnline(meter.id, true);
        return r;
      });
      this.failures.delete(meter.id);
      this.metrics.pollsTotal.inc({ bus: this.busId, result: 'ok' });
      this.metrics.readingsTotal.inc({ source: 'poll', result: result.stored ? 'stored' : 'duplicate' });
      if (result.balanceChanged || meter.relayState !== (status.relayOpen ? 'open' : 'closed')) this.events.emit('balance-changed', meter.accountId);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'BUS_CLOSED') return;
      const n = (this.failures.get(meter.id) ?? 0) + 1;
      this.failures.set(meter.id, n);
      this.metrics.pollsTotal.inc({ bus: this.busId, result: code === 'BUS_TIMEOUT' ? 'timeout' : 'error' });
      this.logger.warn({ meter: meter.id, address: meter.address, bus: this.busId, err: (err as Error).message, failures: n }, 'meter read failed');
      if (n === this.options.offlineAfterFailures && meter.online) {
        const at = this.now();
        this.repos.transaction(() => {
          this.repos.meters.setOnline(meter.id, false);
          this.repos.journal.appendEvent('meter-offline', meter.accountId, meter.id, { failures: n, error: (err as Error).message }, at);
        });
      }
    }
  }
}
