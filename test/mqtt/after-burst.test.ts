// One full collection once a burst's readings are committed and the ingest has gone quiet
// (src/mqtt/after-burst.ts): not before the burst's size is reached, not while readings still
// arrive, once per burst; and the default collection gives memory back.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AfterBurstCollector } from '../../src/mqtt/after-burst.js';
import { createLogger } from '../../src/logger.js';

describe('collection after a burst', () => {
  afterEach(() => vi.useRealTimers());

  it('collects once, after the quiet time that follows a burst of at least afterReadings', () => {
    vi.useFakeTimers();
    let collections = 0;
    const collector = new AfterBurstCollector({ afterReadings: 1000, quietMs: 5000 }, createLogger('silent'), () => collections++);
    collector.committed(600);
    vi.advanceTimersByTime(60_000);
    expect(collections).toBe(0); // not a burst yet
    collector.committed(600);
    vi.advanceTimersByTime(4000);
    collector.committed(10); // still arriving: the quiet time starts again
    vi.advanceTimersByTime(4000);
    expect(collections).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(collections).toBe(1);
    vi.advanceTimersByTime(60_000);
    expect(collections).toBe(1);
    collector.committed(999); // the count starts again after a collection
    vi.advanceTimersByTime(60_000);
    expect(collections).toBe(1);
    collector.stop();
  });

  it('never collects with afterReadings 0', () => {
    vi.useFakeTimers();
    let collections = 0;
    const collector = new AfterBurstCollector({ afterReadings: 0, quietMs: 10 }, createLogger('silent'), () => collections++);
    collector.committed(1_000_000);
    vi.advanceTimersByTime(60_000);
    expect(collections).toBe(0);
  });

  it('the default collection frees what nothing references any more', async () => {
    const collector = new AfterBurstCollector({ afterReadings: 1, quietMs: 1 }, createLogger('silent'));
    let burst: Array<{ i: number }> | null = Array.from({ length: 1000 }, (_, i) => ({ i }));
    const held = new WeakRef(burst[0]!);
    burst = null;
    // A WeakRef's target lives until the end of the job that made it: collect in a later one.
    await new Promise((resolve) => setImmediate(resolve));
    collector.committed(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(burst).toBeNull();
    expect(held.deref()).toBeUndefined();
  });
});
