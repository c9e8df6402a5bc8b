// A Server-Sent Events reader for tests: fetch with headers (API key, Last-Event-ID), parses the
// stream into messages and comments, and waits for the one a test expects.
export interface SseMessage {
  id: string | null;
  event: string | null;
  data: string | null;
  comment: string | null;
}

export interface SseStream {
  status: number;
  headers: Headers;
  messages: SseMessage[];
  /** resolves with the first message (already received or coming) that passes `match` */
  next(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseStream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const messages: SseMessage[] = [];
  const waiters = new Set<() => void>();
  const pump = async () => {
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const m: SseMessage = { id: null, event: null, data: null, comment: null };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) m.comment = line.slice(1).trim();
            else if (line.startsWith('id:')) m.id = line.slice(3).trim();
            else if (line.startsWith('event:')) m.event = line.slice(6).trim();
            else if (line.startsWith('data:')) m.data = (m.data ?? '') + line.slice(5).trim();
          }
          messages.push(m);
          for (const w of waiters) w();
        }
      }
    } catch {
      /* aborted */
    }
  };
  if (res.ok) void pump();
  return {
    status: res.status,
    headers: res.headers,
    messages,
    next(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      controller.abort();
    },
  };
}
