// Concentrator status from its retained `…/status` message (its will says "offline"): stored on
// the concentrator, and an offline concentrator's meters are marked stale until it is back.
// Commands for its meters are held meanwhile (mqtt-executor.ts waits here).
import type { Logger } from 'pino';
import type { Repositories } from '../db/repo/index.js';

type Waiter = () => void;

export class ConcentratorStatus {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly onlineListeners = new Set<(concentratorId: string) => void>();

  constructor(
    private readonly repos: Repositories,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reachable unless its last status said offline (a concentrator never heard of is tried). */
  isOnline(concentratorId: string): boolean {
    return this.repos.ingest.concentrator(concentratorId)?.status !== 'offline';
  }

  /** Called when a concentrator comes (back) online. */
  onOnline(listener: (concentratorId: string) => void): () => void {
    this.onlineListeners.add(listener);
    return () => this.onlineListeners.delete(listener);
  }

  /** Records a status message; a change marks the meters stale or fresh and writes an event. */
  update(concentratorId: string, status: 'online' | 'offline'): void {
    const at = this.now();
    const changed = this.repos.transaction(() => {
      const previous = this.repos.ingest.concentrator(concentratorId)?.status;
      this.repos.ingest.setConcentratorStatus(concentratorId, status, at);
      const meters = this.repos.ingest.setMetersStale(concentratorId, status === 'offline');
      if (previous === status) return false;
      this.repos.journal.appendEvent(`concentrator-${status}`, null, null, { concentratorId, previous: previous ?? null, meters }, at);
      return true;
    });
    if (!changed) return;
    this.logger.info({ concentrator: concentratorId, status }, `concentrator ${status}`);
    if (status === 'online') {
      const waiting = this.waiters.get(concentratorId);
      this.waiters.delete(concentratorId);
      for (const wake of waiting ?? []) wake();
      for (const listener of this.onlineListeners) listener(concentratorId);
    }
  }

  /**
   * Resolves true when the concentrator is online, false at `until` (epoch ms) or when `signal`
   * aborts, whichever comes first.
   */
  waitOnline(concentratorId: string, until: number, signal: AbortSignal): Promise<boolean> {
    if (this.isOnline(concentratorId)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let set = this.waiters.get(concentratorId);
      if (!set) this.waiters.set(concentratorId, (set = new Set()));
      const finish = (online: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        set.delete(wake);
        resolve(online);
      };
      const wake = () => finish(true);
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(this.isOnline(concentratorId)), Math.max(0, until - this.now()));
      set.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
