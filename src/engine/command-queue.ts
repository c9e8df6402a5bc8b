// Admission of relay commands to their links: at most `perLink` commands run at once on one bus
// or concentrator, and at most `maxRunning` in all (restores excepted: they only wait for their
// link). The rest wait — still 'queued' in the database, so they can be cancelled — in priority
// order: restores first, then keep-power mirrors, then cut-offs, single commands ahead of bulk
// ones, oldest first within a priority. A bus carries one exchange at a time anyway; this keeps a
// bulk operation or a morning's worth of cut-offs from standing between a paying customer and the
// relay, and bounds how many commands write their first state change at once.

export interface QueuedRun {
  id: string;
  link: string;
  priority: number;
  start: () => Promise<void>;
}

/** Priorities below this (restores) are not held back by `maxRunning`. */
const UNCAPPED_BELOW = 1;

export class CommandQueue {
  /** link → priority → FIFO of waiting runs */
  private readonly waiting = new Map<string, Map<number, QueuedRun[]>>();
  private readonly running = new Map<string, number>();
  private readonly ids = new Set<string>();
  private waitingTotal = 0;
  private runningTotal = 0;

  constructor(private readonly perLink: number, private readonly maxRunning: number = Infinity) {}

  /** True when the command is waiting or running. */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  get size(): number {
    return this.ids.size;
  }

  get waitingCount(): number {
    return this.waitingTotal;
  }

  /** Whether a command of this priority queued on this link now would start at once. */
  wouldStartNow(link: string, priority: number): boolean {
    const best = this.waiting.has(link) ? this.best(link) : undefined;
    return (best === undefined || best > priority) && this.admissible(link, priority);
  }

  enqueue(run: QueuedRun): void {
    if (this.ids.has(run.id)) return;
    this.ids.add(run.id);
    let byPriority = this.waiting.get(run.link);
    if (!byPriority) this.waiting.set(run.link, (byPriority = new Map()));
    let fifo = byPriority.get(run.priority);
    if (!fifo) byPriority.set(run.priority, (fifo = []));
    fifo.push(run);
    this.waitingTotal++;
    this.pump(run.link);
  }

  /** Forgets every waiting command (on stop); running ones finish on their own. */
  clearWaiting(): void {
    for (const byPriority of this.waiting.values()) {
      for (const fifo of byPriority.values()) for (const w of fifo) this.ids.delete(w.id);
    }
    this.waiting.clear();
    this.waitingTotal = 0;
  }

  /** The best waiting priority of a link, or undefined (and the link is forgotten) when none waits. */
  private best(link: string): number | undefined {
    const byPriority = this.waiting.get(link);
    let best: number | undefined;
    if (byPriority) for (const [p, fifo] of byPriority) if (fifo.length > 0 && (best === undefined || p < best)) best = p;
    if (best === undefined) this.waiting.delete(link);
    return best;
  }

  private admissible(link: string, priority: number): boolean {
    return (this.running.get(link) ?? 0) < this.perLink && (priority < UNCAPPED_BELOW || this.runningTotal < this.maxRunning);
  }

  private pump(link: string): void {
    for (;;) {
      const p = this.best(link);
      if (p === undefined || !this.admissible(link, p)) return;
      this.start(link, this.waiting.get(link)!.get(p)!.shift()!);
    }
  }

  /** A global slot came free: give it to the link whose waiting head has the best priority. */
  private pumpAny(): void {
    while (this.runningTotal < this.maxRunning && this.waitingTotal > 0) {
      let chosen: { link: string; p: number } | undefined;
      for (const link of [...this.waiting.keys()]) {
        const p = this.best(link);
        if (p !== undefined && this.admissible(link, p) && (!chosen || p < chosen.p)) chosen = { link, p };
      }
      if (!chosen) return;
      this.start(chosen.link, this.waiting.get(chosen.link)!.get(chosen.p)!.shift()!);
    }
  }

  private start(link: string, w: QueuedRun): void {
    this.waitingTotal--;
    this.runningTotal++;
    this.running.set(link, (this.running.get(link) ?? 0) + 1);
    // Started on the next turn: whoever queued it (a sweep step, a request) finishes first.
    setImmediate(() => {
      void w.start().finally(() => {
        this.runningTotal--;
        const n = (this.running.get(link) ?? 1) - 1;
        if (n <= 0) this.running.delete(link);
        else this.running.set(link, n);
        this.ids.delete(w.id);
        this.pump(link);
        this.pumpAny();
      });
    });
  }
}

/** The link a meter's commands travel on: its bus, its concentrator, or the meter alone. */
export function linkOf(meter: { id: string; busId: string | null; concentratorId: string | null }): string {
  if (meter.busId) return `bus:${meter.busId}`;
  if (meter.concentratorId) return `concentrator:${meter.concentratorId}`;
  return `meter:${meter.id}`;
}

/** Lower runs first. */
export function priorityOf(action: string, bulk: boolean): number {
  const base = action === 'reconnect' ? 0 : action === 'keep-power' ? 1 : action === 'keep-power-release' ? 2 : 3;
  return base + (bulk ? 10 : 0);
}
