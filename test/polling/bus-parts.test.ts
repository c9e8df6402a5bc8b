// The bus's waiting line (priorities, FIFO within one, the wait bound's bookkeeping) and its
// utilisation window.
import { describe, expect, it } from 'vitest';
import { PriorityQueue, type Pending, type Priority } from '../../src/polling/bus-queue.js';
import { BusyMeter } from '../../src/polling/busy-meter.js';

function pending(label: string, priority: Priority, enqueuedAt = 0): Pending {
  return { exchange: { label, request: Buffer.alloc(0), receiver: null, timeoutMs: 0, priority }, resolve: () => {}, reject: () => {}, enqueuedAt };
}

describe('PriorityQueue', () => {
  it('serves command > read > poll, first in first out within each', () => {
    const q = new PriorityQueue();
    for (const p of [pending('poll-1', 'poll'), pending('read-1', 'read'), pending('poll-2', 'poll'), pending('cmd-1', 'command'), pending('read-2', 'read')]) q.push(p);
    expect(q.length).toBe(5);
    const order: string[] = [];
    for (let p = q.shift(); p; p = q.shift()) order.push(p.exchange.label);
    expect(order).toEqual(['cmd-1', 'read-1', 'read-2', 'poll-1', 'poll-2']);
  });

  it('removes by predicate, drains everything, and knows its oldest entry', () => {
    const q = new PriorityQueue();
    q.push(pending('a', 'poll', 30));
    q.push(pending('b', 'read', 20));
    q.push(pending('c', 'poll', 10));
    expect(q.oldestEnqueuedAt()).toBe(20); // the head of each lane: b (20) and a (30)
    expect(q.removeWhere((p) => p.exchange.label === 'a').map((p) => p.exchange.label)).toEqual(['a']);
    expect(q.oldestEnqueuedAt()).toBe(10);
    expect(q.drain().map((p) => p.exchange.label)).toEqual(['b', 'c']);
    expect(q.length).toBe(0);
    expect(q.oldestEnqueuedAt()).toBeUndefined();
  });

  it('refuses an unknown priority', () => {
    expect(() => new PriorityQueue().push(pending('x', 'urgent' as Priority))).toThrow(RangeError);
  });
});

describe('BusyMeter', () => {
  it('reports the busy share of the trailing window', () => {
    const m = new BusyMeter(0, 10_000);
    m.start(0);
    m.stop(2500);
    m.start(5000);
    m.stop(6000);
    expect(m.totalMs).toBe(3500);
    // the window is the current second and the nine before it: 0 … 9.999 s
    expect(m.ratio(9_999)).toBeCloseTo(3500 / 9999, 6);
    // a second later the first second (1 s busy) has left the window
    expect(m.ratio(10_999)).toBeCloseTo(2500 / 9999, 6);
  });

  it('counts an exchange in flight up to now, and lets old busy time fall out of the window', () => {
    const m = new BusyMeter(0, 10_000);
    m.start(0);
    expect(m.ratio(4000)).toBeCloseTo(1, 5);
    m.stop(5000);
    expect(m.ratio(30_000)).toBe(0);
    expect(m.totalMs).toBe(5000);
  });
});
