// A real local HTTP receiver for webhook tests: records every request, answers each with the next
// of `statuses` (then 204), or holds it unanswered while `hang` is set.
import { createServer, type IncomingHttpHeaders, type ServerResponse, type Server } from 'node:http';

export interface Received { headers: IncomingHttpHeaders; body: string; at: number }

export class Receiver {
  readonly received: Received[] = [];
  statuses: number[] = [];
  /** while true, requests are kept open and never answered */
  hang = false;
  private readonly held: ServerResponse[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      if (this.hang) {
        this.held.push(res);
        return;
      }
      res.statusCode = this.statuses.shift() ?? 204;
      res.end();
    });
  });
  url = '';

  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/hooks`;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  bodies(): Array<{ id: number; type: string; accountId: string | null; createdAt: string; data: Record<string, unknown> }> {
    return this.received.map((r) => JSON.parse(r.body));
  }
}
