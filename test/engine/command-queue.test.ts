// Admission of relay commands (src/engine/command-queue.ts): per-link and global limits, restores
// first and never held back by the global limit, bulk behind single commands, FIFO within a priority.
import { describe, expect, it } from 'vitest';
import { CommandQueue, linkOf, priorityOf } from '../../src/engine/command-queue.js';
import { eventually } from '../helpers/eventually.js';

/** A run that records its start and finishes when told. */
function harness(queue: CommandQueue) {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const add = (id: string, link: string, priority: number) =>
    queue.enqueue({ id, link, priority, start: () => new Promise<void>((done) => { started.push(id); finishers.set(id, done); }) });
  const finish = (id: string) => finishers.get(id)!();
  return { started, add, finish };
}

describe('CommandQueue', () => {
  it('runs at most perLink commands per link, next by priority then age', async () => {
    const q = new CommandQueue(1);
    const h = harness(q);
    h.add('cut-1', 'bus:a', priorityOf('disconnect', false));
    h.add('bulk-1', 'bus:a', priorityOf('disconnect', true));
    h.add('cut-2', 'bus:a', priorityOf('disconnect', false));
    h.add('restore', 'bus:a', priorityOf('reconnect', false));
    h.add('other-bus', 'bus:b', priorityOf('disconnect', true));
    await eventually(() => expect(h.started).toEqual(['cut-1', 'other-bus']));
    expect(q.size).toBe(5);
    expect(q.waitingCount).toBe(3);
    h.finish('cut-1');
    await eventually(() => expect(h.started.at(-1)).toBe('restore'));
    h.finish('restore');
    await eventually(() => expect(h.started.at(-1)).toBe('cut-2'));
    h.finish('cut-2');
    await eventually(() => expect(h.started.at(-1)).toBe('bulk-1'));
    expect(q.has('cut-1')).toBe(false);
    expect(q.has('bulk-1')).toBe(true);
  });

  it('holds cut-offs back at the global limit but never a restore', async () => {
    const q = new CommandQueue(5, 2);
    const h = harness(q);
    h.add('c1', 'c:1', 3);
    h.add('c2', 'c:2', 3);
    h.add('c3', 'c:3', 3);
    h.add('r1', 'c:4', 0);
    await eventually(() => expect(h.started.sort()).toEqual(['c1', 'c2', 'r1']));
    h.finish('r1');
    await new Promise((r) => setImmediate(r));
    expect(h.started).not.toContain('c3');
    h.finish('c1');
    await eventually(() => expect(h.started).toContain('c3'));
  });

  it('ignores a command queued twice and forgets waiting ones on clear', async () => {
    const q = new CommandQueue(1);
    const h = harness(q);
    h.add('a', 'l', 3);
    h.add('a', 'l', 3);
    h.add('b', 'l', 3);
    await eventually(() => expect(h.started).toEqual(['a']));
    q.clearWaiting();
    expect(q.has('b')).toBe(false);
    h.finish('a');
    await new Promise((r) => setImmediate(r));
    expect(h.started).toEqual(['a']);
    expect(q.size).toBe(0);
  });

  it('names links by bus, then concentrator, then meter', () => {
    expect(linkOf({ id: 'm', busId: 'b', concentratorId: 'c' })).toBe('bus:b');
    expect(linkOf({ id: 'm', busId: null, concentratorId: 'c' })).toBe('concentrator:c');
    expect(linkOf({ id: 'm', busId: null, concentratorId: null })).toBe('meter:m');
  });
});
