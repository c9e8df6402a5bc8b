// What the daemon does with the buses whose lease it takes and loses (docs/scale.md "Several
// daemons"). Taking a bus opens its link, starts its time sync and poller, and picks up the active
// commands of its meters (a sent one is read back first, as after a restart). Losing it stops
// the poller and time sync and suspends the bus: the link is closed and exchanges fail at once.
// While a bus is held, the commands other daemons create for its meters are picked up every
// `commandPickupMs`. Changes of one bus run one after another, in order.
import type { Logger } from 'pino';
import type { Bus } from '../polling/bus.js';
import type { BusPoller } from '../polling/poller.js';
import type { TimeSync } from '../polling/time-sync.js';
import type { CommandService } from '../commands/service.js';

/** The parts of one bus that run only while its lease is held. */
export interface BusParts {
  /** a serial line or DTU (a Modbus TCP endpoint has none) */
  bus?: Bus;
  poller?: BusPoller;
  timeSync?: TimeSync;
}

export class BusOwnership {
  private readonly changes = new Map<string, Promise<void>>();
  private pickupTimer: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(
    private readonly parts: ReadonlyMap<string, BusParts>,
    private readonly commands: CommandService,
    private readonly logger: Logger,
    private readonly options: { commandPickupMs: number },
  ) {
    // Until its lease is taken a bus stays closed: an on-demand read must not open its link.
    for (const p of parts.values()) void p.bus?.suspend('its lease is not held');
  }

  /** Starts picking up, every `commandPickupMs`, the active commands of the buses `held()` names. */
  start(held: () => string[]): void {
    if (this.pickupTimer || this.stopping) return;
    this.pickupTimer = setInterval(() => {
      for (const busId of held()) this.pickUp(busId);
    }, this.options.commandPickupMs);
    this.pickupTimer.unref();
  }

  /** The lease of `busId` was taken: open the bus, poll it, run its commands. */
  acquired(busId: string): void {
    this.change(busId, () => {
      if (this.stopping) return;
      const p = this.parts.get(busId);
      p?.bus?.start();
      p?.timeSync?.start();
      p?.poller?.start();
      this.pickUp(busId);
      this.logger.info({ bus: busId }, 'bus taken: polling and commands run here');
    });
  }

  /** The lease of `busId` was lost (also while stopping): stop polling and close the bus. */
  lost(busId: string, why: string): void {
    this.change(busId, async () => {
      const p = this.parts.get(busId);
      p?.timeSync?.stop();
      const polling = p?.poller?.stop();
      await p?.bus?.suspend(`its lease was lost: ${why}`);
      await polling;
      this.logger.warn({ bus: busId, why }, 'bus given up: another daemon may take it');
    });
  }

  /** No more takeovers; waits for changes under way. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.pickupTimer) clearInterval(this.pickupTimer);
    this.pickupTimer = null;
    await Promise.allSettled([...this.changes.values()]);
  }

  private pickUp(busId: string): void {
    try {
      const started = this.commands.resumeBus(busId);
      if (started > 0) this.logger.info({ bus: busId, commands: started }, 'commands picked up');
    } catch (err) {
      this.logger.error({ err, bus: busId }, 'picking up commands failed');
    }
  }

  private change(busId: string, fn: () => void | Promise<void>): void {
    const previous = this.changes.get(busId) ?? Promise.resolve();
    const next = previous.then(fn).catch((err: unknown) => this.logger.error({ err, bus: busId }, 'bus ownership change failed'));
    this.changes.set(busId, next);
  }
}
