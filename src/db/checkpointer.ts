// Checkpoints of the daemon's SQLite WAL from a worker thread, so that copying committed pages into
// the database file (and its fsync) runs on another core instead of inside the commit that crosses
// `wal_autocheckpoint` on the event loop. SQLite's WAL mode allows a checkpoint from any
// connection while another writes (https://sqlite.org/wal.html "Checkpointing"): every intervalMs
// the worker runs a PASSIVE checkpoint, which never blocks the writer, and a page written many times
// in between is copied once. Should the worker fail, the daemon's connection takes automatic
// checkpoints again, every `pages` WAL pages.
//
// A checkpoint that copies every frame lets the next write start the WAL again from its beginning;
// one that does not leaves the WAL to grow. Under steady writes the worker's checkpoint never
// catches up alone (frames come in while it copies), and a WAL that only grows slows every page
// lookup and fills the disk. So once the WAL holds `pages` frames, the daemon's connection, between
// two of its transactions, checkpoints what the worker's last pass left (the frames written during
// it): the WAL is then fully copied and starts again, and the event loop copies a small part only.
//
//   event loop: commit ─▶ WAL            worker: every intervalMs ─▶ wal_checkpoint(PASSIVE) ─▶ database file
//               ◀── frames ≥ pages: wal_checkpoint(PASSIVE) of the rest ──┘
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { Sqlite } from './connection.js';

export interface CheckpointerOptions {
  /** the connection's own automatic checkpoint (WAL pages) while no worker runs */
  pages: number;
  /** how often the worker looks at the WAL */
  intervalMs: number;
}

/** The worker: plain CommonJS, so it runs the same from src/ (tsx) and from dist/. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
let copied = 0;
const timer = setInterval(() => {
  try {
    // wal_checkpoint(PASSIVE) answers the WAL's frames and how many are in the database file.
    const [probe] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ frames: probe.log, checkpointed: probe.checkpointed, busy: probe.busy });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
`;

export class Checkpointer {
  private worker: Worker | null = null;
  /** checkpoints the connection ran to finish the worker's, so that the WAL starts again */
  catchUps = 0;

  constructor(private readonly db: Sqlite, private readonly logger: Logger, private readonly options: CheckpointerOptions) {}

  start(): void {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file: this.db.name, intervalMs: this.options.intervalMs } });
    this.worker = worker;
    this.db.pragma('wal_autocheckpoint = 0');
    worker.on('message', (m: { error?: string; frames?: number; checkpointed?: number }) => {
      if (m.error) this.logger.warn({ err: m.error }, 'WAL checkpoint failed; trying again');
      else if (this.worker === worker && m.frames !== undefined && m.frames >= this.options.pages) this.catchUp();
    });
    worker.on('error', (err) => this.fallBack(err));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.fallBack(new Error(`checkpoint worker exited with ${code}`));
    });
    worker.unref();
  }

  /** Stops the worker; the connection checkpoints by itself again (and at close). */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    this.restoreAutomatic();
    // Referenced again, so that the process waits for the worker to close its connection.
    worker.ref();
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage('stop');
    });
  }

  /** Copies the rest of the WAL from the daemon's connection (never inside a transaction: this runs from the event loop). */
  private catchUp(): void {
    if (!this.db.open || this.db.inTransaction) return;
    try {
      const [result] = this.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
      this.catchUps++;
      this.logger.debug({ frames: result?.log, checkpointed: result?.checkpointed }, 'WAL checkpoint finished by the daemon');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'WAL checkpoint by the daemon failed; trying again after the next pass');
    }
  }

  private fallBack(err: Error): void {
    this.worker = null;
    this.restoreAutomatic();
    this.logger.error({ err: err.message }, 'WAL checkpoint worker stopped; checkpointing in the daemon again');
  }

  private restoreAutomatic(): void {
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${this.options.pages}`);
  }
}
