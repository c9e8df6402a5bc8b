// Relay safety (src/domain/relay-safety.ts): minimum interval, daily cap, flapping guard, failure
// backoff, open faults; and read-backs that contradict the last confirmed relay command.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readbackContradiction, relaySafety, type RelayOperation, type RelaySafetyConfig } from '../../src/domain/relay-safety.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.parse('2026-11-25T10:00:00+08:00');
const CONFIG: RelaySafetyConfig = { minIntervalMs: 5 * MIN, dailyCap: 6, flapWindowMs: HOUR, flapMaxSwitchings: 4, failureBackoffMs: 15 * MIN };

const op = (action: RelayOperation['action'], minutesAgo: number, state = 'confirmed', origin = 'engine'): RelayOperation => ({
  action, state, origin, sentAt: NOW - minutesAgo * MIN - 1000, finishedAt: state === 'queued' ? null : NOW - minutesAgo * MIN,
});

describe('relaySafety', () => {
  it('allows a cut-off on a meter with no recent history', () => {
    expect(relaySafety({ operations: [], openFault: null }, NOW, CONFIG)).toMatchObject({ disconnectAllowed: true, limit: null, operationsLast24h: 0 });
  });

  it('holds a cut-off back within the minimum interval, and says until when', () => {
    const s = relaySafety({ operations: [op('reconnect', 2)], openFault: null }, NOW, CONFIG);
    expect(s).toMatchObject({ disconnectAllowed: false, limit: 'min-interval', overridable: true, nextAllowedAt: NOW - 2 * MIN + 5 * MIN });
    expect(relaySafety({ operations: [op('reconnect', 5)], openFault: null }, NOW, CONFIG).disconnectAllowed).toBe(true);
  });

  it('stops cut-offs at the daily cap (not overridable)', () => {
    const ops = [op('reconnect', 60 * 20), op('disconnect', 60 * 19), op('reconnect', 60 * 18), op('disconnect', 60 * 17), op('reconnect', 60 * 16), op('disconnect', 60 * 15, 'failed')];
    const s = relaySafety({ operations: ops, openFault: null }, NOW, CONFIG);
    expect(s).toMatchObject({ disconnectAllowed: false, limit: 'daily-cap', overridable: false, operationsLast24h: 6 });
    expect(s.nextAllowedAt).toBe(NOW - 60 * 20 * MIN - 1000 + 86_400_000);
  });

  it('detects flapping from confirmed switchings within the window', () => {
    const ops = [op('disconnect', 10), op('reconnect', 20), op('disconnect', 30), op('reconnect', 40)];
    expect(relaySafety({ operations: ops, openFault: null }, NOW, CONFIG)).toMatchObject({ disconnectAllowed: false, flapping: true, limit: 'flapping', switchingsInWindow: 4 });
    const spread = [op('disconnect', 10), op('reconnect', 20), op('disconnect', 30), op('reconnect', 70)];
    expect(relaySafety({ operations: spread, openFault: null }, NOW, CONFIG)).toMatchObject({ flapping: false, disconnectAllowed: true });
  });

  it('backs off after a failed disconnect', () => {
    expect(relaySafety({ operations: [op('disconnect', 10, 'failed')], openFault: null }, NOW, CONFIG)).toMatchObject({ limit: 'failure-backoff', disconnectAllowed: false });
    expect(relaySafety({ operations: [op('disconnect', 16, 'failed')], openFault: null }, NOW, CONFIG).disconnectAllowed).toBe(true);
  });

  it('pauses cut-offs while a relay fault is under review', () => {
    expect(relaySafety({ operations: [], openFault: 'relay-fault' }, NOW, CONFIG)).toMatchObject({ disconnectAllowed: false, limit: 'open-fault' });
  });

  it('property: allowed only when every limit is clear', () => {
    const ops = fc.array(fc.record({
      action: fc.constantFrom('disconnect' as const, 'reconnect' as const),
      state: fc.constantFrom('confirmed', 'failed', 'expired', 'sent'),
      ago: fc.integer({ min: 0, max: 48 * 60 }),
    }), { maxLength: 12 }).map((xs) => xs.sort((a, b) => a.ago - b.ago).map((x) => op(x.action, x.ago, x.state)));
    fc.assert(fc.property(ops, (operations) => {
      const s = relaySafety({ operations, openFault: null }, NOW, CONFIG);
      const sent24h = operations.filter((o) => o.sentAt! > NOW - 86_400_000).length;
      const switchings = operations.filter((o) => o.state === 'confirmed' && o.finishedAt! > NOW - HOUR).length;
      const last = Math.max(...operations.map((o) => o.finishedAt ?? o.sentAt!), -Infinity);
      const failed = operations.find((o) => o.action === 'disconnect' && o.state === 'failed');
      const clear = sent24h < CONFIG.dailyCap && switchings < CONFIG.flapMaxSwitchings && !(NOW < last + CONFIG.minIntervalMs)
        && !(failed && NOW < failed.finishedAt! + CONFIG.failureBackoffMs);
      expect(s.disconnectAllowed).toBe(clear);
      expect(s.operationsLast24h).toBe(sent24h);
    }), { numRuns: 2000 });
  });
});

describe('readbackContradiction', () => {
  const confirmedTrip = { action: 'disconnect', state: 'confirmed', finishedAt: NOW - 10 * MIN };

  it('flags a relay that reads closed after a confirmed trip', () => {
    expect(readbackContradiction(confirmedTrip, { state: 'closed', at: NOW })).toMatch(/reads closed .* after a confirmed disconnect/);
  });

  it('flags a relay that reads open after a confirmed reconnect', () => {
    expect(readbackContradiction({ ...confirmedTrip, action: 'reconnect' }, { state: 'open', at: NOW })).toMatch(/reads open/);
  });

  it.each([
    ['the read-back agrees', confirmedTrip, { state: 'open' as const, at: NOW }],
    ['the read-back is older than the confirmation', confirmedTrip, { state: 'closed' as const, at: NOW - 20 * MIN }],
    ['the latest command was not confirmed (a reconnect attempt may have closed it)', { action: 'reconnect', state: 'expired', finishedAt: NOW - MIN }, { state: 'closed' as const, at: NOW }],
    ['the relay state is unknown', confirmedTrip, { state: 'unknown' as const, at: NOW }],
    ['there is no command', null, { state: 'closed' as const, at: NOW }],
  ])('does not flag when %s', (_why, latest, relay) => {
    expect(readbackContradiction(latest, relay)).toBeNull();
  });
});
