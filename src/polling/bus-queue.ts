// The waiting line of one bus: first in, first out within a priority, and commands ahead of
// on-demand reads ahead of scheduled polls.
import { PRIORITIES, type Exchange, type Priority } from './exchange.js';

export type { Priority } from './exchange.js';

export interface Pending {
  exchange: Exchange<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  /** Date.now() when it joined the queue */
  enqueuedAt: number;
}

export class PriorityQueue {
  private readonly lanes = new Map<Priority, Pending[]>(PRIORITIES.map((p) => [p, []]));

  get length(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.length;
    return n;
  }

  push(pending: Pending): void {
    const lane = this.lanes.get(pending.exchange.priority);
    if (!lane) throw new RangeError(`unknown priority '${String(pending.exchange.priority)}' for ${pending.exchange.label}`);
    lane.push(pending);
  }

  /** The next exchange to run: the oldest of the highest priority. */
  shift(): Pending | undefined {
    for (const p of PRIORITIES) {
      const lane = this.lanes.get(p)!;
      if (lane.length > 0) return lane.shift();
    }
    return undefined;
  }

  /** Removes and returns everything, highest priority first. */
  drain(): Pending[] {
    const all: Pending[] = [];
    for (const p of PRIORITIES) all.push(...this.lanes.get(p)!.splice(0));
    return all;
  }

  removeWhere(predicate: (p: Pending) => boolean): Pending[] {
    const removed: Pending[] = [];
    for (const [priority, lane] of this.lanes) {
      const kept = lane.filter((p) => !(predicate(p) && removed.push(p)));
      this.lanes.set(priority, kept);
    }
    return removed;
  }

  oldestEnqueuedAt(): number | undefined {
    let oldest: number | undefined;
    for (const lane of this.lanes.values()) {
      const first = lane[0];
      if (first && (oldest === undefined || first.enqueuedAt < oldest)) oldest = first.enqueuedAt;
    }
    return oldest;
  }
}
