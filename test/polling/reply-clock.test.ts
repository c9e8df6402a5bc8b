// The reply deadline without timers: first byte within Td max + allowances, then the rest of the
// frame's line time plus the inter-byte limit Tb after each chunk (DL/T 645-2007 §5.3.3).
import { describe, expect, it } from 'vitest';
import { ReplyClock } from '../../src/polling/reply-clock.js';

const CHAR_MS = 11 * 1000 / 2400; // one character at 2400 baud
const timing = { firstByteMs: 525, interByteMs: 500, charMs: CHAR_MS, noiseLimitBytes: 432 };

describe('ReplyClock', () => {
  it('has no deadline until the request has left', () => {
    const clock = new ReplyClock(timing);
    expect(clock.deadline).toBe(Infinity);
    expect(clock.verdict(1_000_000)).toEqual({ kind: 'waiting', deadline: Infinity });
  });

  it('wants the first byte within firstByteMs of the request leaving', () => {
    const clock = new ReplyClock(timing);
    clock.sent(1000);
    expect(clock.verdict(1524)).toEqual({ kind: 'waiting', deadline: 1525 });
    expect(clock.verdict(1525)).toEqual({ kind: 'timeout', reason: 'no-reply' });
    expect(clock.describe('no-reply')).toBe('no reply within 525 ms');
  });

  it('once bytes flow, allows the remaining line time plus Tb after the last chunk', () => {
    const clock = new ReplyClock(timing);
    clock.sent(1000);
    clock.bytes(4, 20, 1100); // preamble heard, a 20-byte frame still to come
    expect(clock.deadline).toBeCloseTo(1100 + 20 * CHAR_MS + 500, 6);
    clock.bytes(10, 10, 1400);
    expect(clock.deadline).toBeCloseTo(1400 + 10 * CHAR_MS + 500, 6);
    // a reply that started late may run past the first-byte deadline
    expect(clock.verdict(1600).kind).toBe('waiting');
    expect(clock.verdict(1400 + 10 * CHAR_MS + 500)).toEqual({ kind: 'timeout', reason: 'incomplete' });
    expect(clock.received).toBe(14);
  });

  it('counts bytes heard before the request was confirmed sent from the moment it was', () => {
    const clock = new ReplyClock(timing);
    clock.bytes(3, 5, 900);
    clock.sent(1000);
    expect(clock.deadline).toBeCloseTo(1000 + 5 * CHAR_MS + 500, 6);
  });

  it('gives up on a line that babbles past the noise limit', () => {
    const clock = new ReplyClock(timing);
    clock.sent(0);
    clock.bytes(433, 1, 10);
    expect(clock.verdict(11)).toEqual({ kind: 'timeout', reason: 'noise' });
  });
});
