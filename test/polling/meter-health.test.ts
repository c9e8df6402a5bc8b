// Per-meter online/offline state and the offline backoff, without timers.
import { describe, expect, it } from 'vitest';
import { MeterHealth } from '../../src/polling/meter-health.js';

const options = { offlineAfterFailures: 3, intervalMs: 1000, offlineBackoffMaxMs: 10_000 };

describe('MeterHealth', () => {
  it('goes offline on the Nth consecutive failure, once', () => {
    const h = new MeterHealth(options);
    expect(h.failure('m', true, 0)).toEqual({ failures: 1, wentOffline: false, nextProbeInMs: null });
    expect(h.failure('m', true, 0).wentOffline).toBe(false);
    expect(h.failure('m', true, 0)).toEqual({ failures: 3, wentOffline: true, nextProbeInMs: 2000 });
    expect(h.isOffline('m')).toBe(true);
    expect(h.failure('m', false, 0).wentOffline).toBe(false);
  });

  it('a good reply resets the count and reports coming back online', () => {
    const h = new MeterHealth(options);
    h.failure('m', true, 0);
    h.failure('m', true, 0);
    expect(h.success('m', true)).toBe(false);
    expect(h.failure('m', true, 0).failures).toBe(1);
    for (let i = 0; i < 2; i++) h.failure('m', true, 0);
    expect(h.success('m', false)).toBe(true);
    expect(h.isOffline('m')).toBe(false);
  });

  it('probes an offline meter at doubling pauses up to the limit', () => {
    const h = new MeterHealth(options);
    for (let i = 0; i < 3; i++) h.failure('m', true, 0);
    expect(h.due('m', false, 1999)).toBe(false);
    expect(h.due('m', false, 2000)).toBe(true);
    expect(h.failure('m', false, 2000).nextProbeInMs).toBe(4000);
    expect(h.failure('m', false, 6000).nextProbeInMs).toBe(8000);
    expect(h.failure('m', false, 14_000).nextProbeInMs).toBe(10_000);
    expect(h.due('m', false, 23_999)).toBe(false);
    expect(h.due('m', false, 24_000)).toBe(true);
  });

  it('reads online meters every cycle, and a meter stored offline at once', () => {
    const h = new MeterHealth(options);
    expect(h.due('a', true, 0)).toBe(true);
    expect(h.due('b', false, 0)).toBe(true);
    h.failure('b', false, 0);
    expect(h.due('b', false, 1000)).toBe(false);
  });

  it('forgets meters that left the bus', () => {
    const h = new MeterHealth(options);
    for (let i = 0; i < 3; i++) h.failure('gone', true, 0);
    h.retain(new Set(['other']));
    expect(h.isOffline('gone')).toBe(false);
  });
});
