// When an awaited reply is overdue, decided without timers: the bus feeds it the moment the
// request left, each chunk's arrival and the bytes still expected, and asks for the deadline.
//
//   request sent ──▶ first byte due within firstByteMs (Td max + latency + one character)
//   bytes flowing ──▶ next deadline = last arrival + line time of the bytes still expected + Tb
//
// DL/T 645-2007 §5.3.3 (传输响应): the meter answers within Td (20 ms ≤ Td ≤ 500 ms) and leaves at most Tb
// (≤ 500 ms) between the bytes of a frame. A reply that has started is therefore given the line
// time of its remaining bytes plus the inter-byte limit, not a flat number. A line that keeps
// babbling without ever completing the awaited frame is cut off after `noiseLimitBytes`.

export interface ReplyTiming {
  /** After the request has left: the first byte must arrive within this, ms. */
  firstByteMs: number;
  /** Longest pause allowed between bytes once the reply flows (Tb), ms. */
  interByteMs: number;
  /** Line time of one character, ms. */
  charMs: number;
  /** Bytes without a completed reply after which the line is judged noise. */
  noiseLimitBytes: number;
}

export type ReplyVerdict = { kind: 'waiting'; deadline: number } | { kind: 'timeout'; reason: 'no-reply' | 'incomplete' | 'noise' };

export class ReplyClock {
  private sentAt: number | null = null;
  private lastByteAt: number | null = null;
  private remaining = 0;
  /** Bytes heard since the exchange began. */
  received = 0;

  constructor(private readonly timing: ReplyTiming) {}

  /** The request's last byte has left the line. */
  sent(at: number): void {
    this.sentAt = at;
  }

  /** A chunk arrived; `remainingBytes` is the receiver's estimate of the bytes still to come. */
  bytes(count: number, remainingBytes: number, at: number): void {
    this.received += count;
    this.lastByteAt = at;
    this.remaining = Math.max(0, remainingBytes);
  }

  /** Infinity until the request has left. */
  get deadline(): number {
    if (this.sentAt === null) return Infinity;
    if (this.lastByteAt === null) return this.sentAt + this.timing.firstByteMs;
    const from = Math.max(this.lastByteAt, this.sentAt);
    return from + this.remaining * this.timing.charMs + this.timing.interByteMs;
  }

  verdict(now: number): ReplyVerdict {
    if (this.received > this.timing.noiseLimitBytes) return { kind: 'timeout', reason: 'noise' };
    const deadline = this.deadline;
    if (now < deadline) return { kind: 'waiting', deadline };
    return { kind: 'timeout', reason: this.received === 0 ? 'no-reply' : 'incomplete' };
  }

  /** How long the exchange waited, for the error message. */
  describe(reason: 'no-reply' | 'incomplete' | 'noise'): string {
    switch (reason) {
      case 'no-reply':
        return `no reply within ${Math.round(this.timing.firstByteMs)} ms`;
      case 'incomplete':
        return `reply incomplete after ${this.received} byte(s): no byte for ${Math.round(this.remaining * this.timing.charMs + this.timing.interByteMs)} ms`;
      case 'noise':
        return `${this.received} byte(s) of noise without the awaited reply`;
    }
  }
}
