// Live events as Server-Sent Events, fed from the outbox (the events table) so that every event
// type reaches the stream, whoever wrote it. One tailer per daemon reads new rows while at least
// one client listens and fans them out; each client filters by type, account and meter.
//
//   outbox rows ──tail (pollMs, or woken by 'event-recorded')──> hub ──filter──> client streams
//   Last-Event-ID / ?after ──backlog from the outbox──────────────────────────────┘
//
// A reconnecting client sends Last-Event-ID and gets what it missed (up to `maxBacklog` events; a
// `gap` message tells it to page GET /v1/events for the rest). Idle streams get a comment line
// every `heartbeatMs` so proxies keep them open.
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Repositories } from '../db/repo/index.js';
import type { EventFilter, EventRow } from '../db/repo/journal.js';
import type { EventBus } from '../events.js';
import { AppError } from '../errors.js';
import { eventView } from './views.js';

export interface SseOptions {
  /** comment line on idle streams; from config http.sseHeartbeatMs */
  heartbeatMs: number;
  /** how often the outbox is read while clients listen (default 200 ms, 20–5000) */
  pollMs: number;
  /** events replayed to a resuming client before a `gap` (default 5000) */
  maxBacklog: number;
  /** open streams per API key (default 10) and in all (default 500): resource limits */
  maxPerKey: number;
  maxClients: number;
  /** a client whose socket holds more than this many unsent bytes is dropped (default 1 MiB) */
  maxBufferedBytes: number;
  utcOffsetMinutes: number;
}

export const SSE_DEFAULTS = { pollMs: 200, maxBacklog: 5000, maxPerKey: 10, maxClients: 500, maxBufferedBytes: 1 << 20 };

interface Client {
  keyId: string;
  filter: EventFilter;
  reply: FastifyReply;
}

const PAGE = 1000;

function matches(filter: EventFilter, e: EventRow): boolean {
  if (filter.types && filter.types.length > 0 && !filter.types.includes(e.type)) return false;
  if (filter.accountId && e.accountId !== filter.accountId) return false;
  if (filter.meterId && e.meterId !== filter.meterId) return false;
  return true;
}

export class EventStreamHub {
  private readonly clients = new Set<Client>();
  private lastId = 0;
  private pollTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly repos: Repositories,
    events: EventBus,
    private readonly options: SseOptions,
    private readonly logger: FastifyBaseLogger,
  ) {
    this.unsubscribe = events.on('event-recorded', () => this.tail());
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over the reply and streams events after `resumeAfter` (or from now) that pass the filter. */
  attach(request: FastifyRequest, reply: FastifyReply, filter: EventFilter, resumeAfter: number | null): void {
    if (this.closed) throw new AppError('INTERNAL', 'the daemon is stopping');
    const keyId = request.principal?.keyId ?? 'anonymous';
    const mine = [...this.clients].filter((c) => c.keyId === keyId).length;
    if (mine >= this.options.maxPerKey || this.clients.size >= this.options.maxClients) {
      throw new AppError('RATE_LIMITED', `too many open event streams (at most ${this.options.maxPerKey} per key, ${this.options.maxClients} in all)`);
    }
    if (this.clients.size === 0) this.lastId = this.repos.journal.lastEventId();
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    reply.raw.write('retry: 2000\n\n');
    const client: Client = { keyId, filter, reply };
    if (resumeAfter !== null) this.replay(client, resumeAfter);
    this.clients.add(client);
    request.raw.on('close', () => this.drop(client));
    reply.raw.on('error', () => this.drop(client));
    this.startTimers();
  }

  /** Sends a resuming client the events it missed, up to the hub's position; all synchronous. */
  private replay(client: Client, after: number): void {
    let cursor = after;
    let sent = 0;
    while (cursor < this.lastId) {
      const rows = this.repos.journal.eventsWhere(cursor, client.filter, Math.min(PAGE, this.options.maxBacklog - sent + 1));
      const upTo = rows.filter((r) => r.id <= this.lastId);
      if (sent + upTo.length > this.options.maxBacklog) {
        this.write(client, `event: gap\ndata: ${JSON.stringify({ after: cursor, resumeAt: this.lastId })}\n\n`);
        return;
      }
      for (const row of upTo) this.send(client, row);
      sent += upTo.length;
      if (rows.length === 0 || upTo.length < rows.length) return;
      cursor = rows[rows.length - 1]!.id;
      if (rows.length < PAGE) return;
    }
  }

  private send(client: Client, row: EventRow): void {
    this.write(client, `id: ${row.id}\ndata: ${JSON.stringify(eventView(row, this.options.utcOffsetMinutes))}\n\n`);
  }

  private write(client: Client, text: string): void {
    const raw = client.reply.raw;
    if (raw.writableEnded || raw.destroyed) return this.drop(client);
    if (raw.writableLength > this.options.maxBufferedBytes) {
      this.logger.warn({ keyId: client.keyId }, 'event stream client too slow; dropped');
      raw.destroy();
      return this.drop(client);
    }
    raw.write(text);
  }

  private startTimers(): void {
    this.pollTimer ??= setInterval(() => this.tail(), this.options.pollMs);
    this.heartbeatTimer ??= setInterval(() => {
      const line = `: heartbeat ${new Date().toISOString()}\n\n`;
      for (const c of this.clients) this.write(c, line);
    }, this.options.heartbeatMs);
  }

  private stopTimers(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.pollTimer = this.heartbeatTimer = null;
  }

  /** Reads the outbox after the hub's position and fans new rows out. */
  tail(): void {
    if (this.clients.size === 0 || this.closed) return;
    try {
      for (;;) {
        const rows = this.repos.journal.eventsWhere(this.lastId, {}, PAGE);
        for (const row of rows) {
          this.lastId = row.id;
          for (const c of this.clients) if (matches(c.filter, row)) this.send(c, row);
        }
        if (rows.length < PAGE) return;
      }
    } catch (err) {
      this.logger.error({ err }, 'event stream tail failed');
    }
  }

  private drop(client: Client): void {
    if (!this.clients.delete(client)) return;
    if (this.clients.size === 0) this.stopTimers();
  }

  /** Ends every stream (the daemon is stopping) so the server can close. */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.stopTimers();
    for (const c of [...this.clients]) {
      c.reply.raw.end();
      this.drop(c);
    }
  }
}
