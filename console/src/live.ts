// Live events: reads GET /v1/events/stream with fetch (EventSource cannot send the API key) and
// parses the Server-Sent Events itself; starts after the last event already shown and reconnects
// with Last-Event-ID, so nothing is missed and nothing comes twice.
import { apiKey } from './api.js';

export interface LiveEvent {
  id: number;
  type: string;
  accountId: string | null;
  meterId: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

export type LiveState = 'live' | 'reconnecting' | 'off';

/** Streams events after `afterId` (those already shown), or from now when it is null. */
export function connectLive(onEvent: (e: LiveEvent) => void, onState: (s: LiveState) => void, afterId: number | null = null): () => void {
  let stopped = false;
  let lastId: string | null = afterId === null ? null : String(afterId);
  let controller: AbortController | null = null;

  const handle = (block: string) => {
    let data = '';
    let name = 'message';
    for (const line of block.split('\n')) {
      if (line.startsWith('id:')) lastId = line.slice(3).trim();
      else if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    // Only plain messages are events; a `gap` notice (a backlog too long to replay) is not one.
    if (!data || name !== 'message') return;
    try {
      onEvent(JSON.parse(data) as LiveEvent);
    } catch {
      /* a listener failed or the data was not JSON; the stream goes on */
    }
  };

  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${apiKey() ?? ''}` };
        if (lastId) headers['last-event-id'] = lastId;
        const res = await fetch('/v1/events/stream', { headers, signal: controller.signal });
        if (res.status === 401 || res.status === 403) {
          onState('off');
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        onState('live');
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            handle(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        if (stopped) return;
      }
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
    onState('off');
  };
}
