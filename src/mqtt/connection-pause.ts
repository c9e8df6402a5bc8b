// Pausing and resuming the reading of one aedes connection without losing count of the packets
// in hand. aedes (1.x) reads a connection's next chunk only once every packet of the previous
// chunk is handled: each handled packet calls the client's nextBatch, which counts it down. But
// while the client is paused, nextBatch returns before counting, so a packet handled while paused
// is never counted; Client.resume() calls nextBatch once, which stands in for one such packet
// only. A connection paused with two packets of one chunk in hand (two small publishes arrive in
// one TCP segment) was then never read again: its concentrator waited for a PUBACK forever.
//
// Here the completions that arrive while paused are counted and applied on resume, so the
// connection's count is exact and it reads on as soon as all its packets are handled.
import type { Client } from 'aedes';

/** The parts of aedes's Client this relies on (lib/client.js: _paused, _parsingBatch, _nextBatch). */
interface AedesClientInternals {
  _paused: boolean;
  _parsingBatch: number;
  _nextBatch: (err?: Error) => void;
}

export interface PausableConnection {
  pause(): void;
  resume(): void;
}

/**
 * Wraps the client's packet-completion callback (for packets parsed from now on) so completions
 * while paused are kept, and returns pause/resume that apply them.
 */
export function pausableConnection(client: Client): PausableConnection {
  const inner = client as unknown as AedesClientInternals;
  // Another aedes whose client lacks these parts: its own pause and resume, as they are.
  if (typeof inner._nextBatch !== 'function' || typeof inner._parsingBatch !== 'number') return client as unknown as PausableConnection;
  const original = inner._nextBatch;
  let deferred = 0;
  // handle(client, packet, client._nextBatch) reads this property when each packet is parsed.
  inner._nextBatch = (err?: Error) => {
    if (!err && inner._paused) {
      deferred++;
      return;
    }
    original(err);
  };
  return {
    pause() {
      inner._paused = true;
    },
    resume() {
      if (!inner._paused) return;
      inner._paused = false;
      // The completions kept while paused, then one more call of nextBatch (which counts one down
      // and reads when nothing is in hand): the +1 is that call's own count.
      inner._parsingBatch = inner._parsingBatch - deferred + 1;
      deferred = 0;
      original();
    },
  };
}
