// The bus's link to its line, kept open: opens through the injected transport, and when the port
// errors, the DTU connection drops or opening fails, closes what is left and opens again after a
// pause that doubles from `reconnectMinMs` up to `reconnectMaxMs`. Nothing here throws to its owner.
// A suspended link is closed and stays closed until resumed (another daemon holds the bus).
//
//   down ──ensure()──▶ opening ──ok──▶ up ──error / close / failed write──▶ down ─(backoff)─▶ opening
//                         └──fail──▶ down ─(backoff)─▶ opening
//   any ──suspend()──▶ suspended ──resume()──▶ opening
import { TransportError, type ByteLink, type TransportFactory } from '../../protocols/transports/types.js';

export interface LinkOptions {
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export interface LinkHandlers {
  onUp(): void;
  /** The link was lost (it had been up). */
  onDown(error: Error): void;
  /** An attempt to open failed; another follows after `retryInMs`. */
  onOpenFailed(error: Error, retryInMs: number): void;
  onData(chunk: Buffer): void;
}

export class ReconnectingLink {
  private link: ByteLink | null = null;
  private opening = false;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  private suspended = false;

  constructor(
    private readonly transport: TransportFactory,
    private readonly options: LinkOptions,
    private readonly handlers: LinkHandlers,
  ) {}

  get up(): boolean {
    return this.link !== null;
  }

  /** Opens the link unless it is up, opening, or waiting to reopen. */
  ensure(): void {
    if (this.closed || this.suspended || this.link || this.opening || this.timer) return;
    void this.open();
  }

  /** Writes a request; a failed write counts as a lost link. */
  async send(bytes: Buffer): Promise<void> {
    const link = this.link;
    if (!link) throw new TransportError('TRANSPORT_CLOSED', 'the link is down');
    try {
      await link.send(bytes);
    } catch (err) {
      this.lost(link, err as Error);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drop();
  }

  /** Closes the link without reporting it down, and keeps it closed until `resume()`. */
  async suspend(): Promise<void> {
    this.suspended = true;
    this.failures = 0;
    await this.drop();
  }

  /** Lets the link open again, and opens it. */
  resume(): void {
    this.suspended = false;
    this.ensure();
  }

  private async drop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const link = this.link;
    this.link = null;
    await link?.close().catch(() => {});
  }

  private async open(): Promise<void> {
    this.opening = true;
    let link: ByteLink;
    try {
      link = await this.transport();
    } catch (err) {
      this.opening = false;
      if (this.closed || this.suspended) return;
      this.failures++;
      const retryInMs = this.backoff();
      this.handlers.onOpenFailed(err as Error, retryInMs);
      this.schedule(retryInMs);
      return;
    }
    this.opening = false;
    if (this.closed || this.suspended) {
      await link.close().catch(() => {});
      return;
    }
    link.stream.on('data', (chunk: Buffer) => {
      if (this.link === link) this.handlers.onData(chunk);
    });
    link.stream.on('error', (err: Error) => this.lost(link, err));
    link.stream.on('close', () => this.lost(link, new TransportError('TRANSPORT_CLOSED', 'the link closed')));
    this.link = link;
    this.failures = 0;
    this.handlers.onUp();
  }

  private lost(link: ByteLink, error: Error): void {
    if (this.link !== link) return;
    this.link = null;
    void link.close().catch(() => {});
    this.handlers.onDown(error);
    this.failures = 1;
    this.schedule(this.backoff());
  }

  private backoff(): number {
    const { reconnectMinMs, reconnectMaxMs } = this.options;
    return Math.min(reconnectMaxMs, reconnectMinMs * 2 ** Math.min(30, Math.max(0, this.failures - 1)));
  }

  private schedule(ms: number): void {
    if (this.closed || this.suspended || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.open();
    }, ms);
    this.timer.unref();
  }
}
