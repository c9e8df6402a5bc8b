// The SQLite WAL checkpoint worker: while it runs, the connection takes no automatic checkpoints
// and the worker copies committed pages into the database file; stopped or failed, the connection
// checkpoints by itself again; under steady writes the connection finishes the worker's checkpoints
// so that the WAL starts again instead of growing. SQLite only (PostgreSQL has no WAL file of ours to copy).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, SQLITE_WAL_AUTOCHECKPOINT_PAGES, type Sqlite } from '../../src/db/connection.js';
import { Checkpointer } from '../../src/db/checkpointer.js';
import { eventually } from '../helpers/eventually.js';

const logger = pino({ level: 'silent' });

describe('WAL checkpoints on a worker thread', () => {
  let dir = '';
  let db: Sqlite | null = null;
  afterEach(() => {
    db?.close();
    db = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function open(): Sqlite {
    dir = mkdtempSync(join(tmpdir(), 'feikong-checkpoint-'));
    db = openDatabase(dir);
    db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
    db.pragma('wal_checkpoint(TRUNCATE)');
    return db;
  }

  const fileBytes = () => statSync(join(dir, 'feikong.db')).size;
  const autocheckpoint = (d: Sqlite) => d.pragma('wal_autocheckpoint', { simple: true });

  it('copies committed pages into the database file while the connection takes no checkpoints', async () => {
    const d = open();
    const checkpointer = new Checkpointer(d, logger, { pages: SQLITE_WAL_AUTOCHECKPOINT_PAGES, intervalMs: 20 });
    checkpointer.start();
    expect(autocheckpoint(d)).toBe(0);
    const before = fileBytes();
    const insert = d.prepare('INSERT INTO filler (body) VALUES (?)');
    d.transaction(() => { for (let i = 0; i < 2000; i++) insert.run(Buffer.alloc(1000, i % 256)); })();
    // 2 MB committed to the WAL: the worker, not this connection, brings them into the file.
    await eventually(() => expect(fileBytes()).toBeGreaterThan(before + 1_900_000), 20_000, 20);
    await checkpointer.stop();
    expect(autocheckpoint(d)).toBe(SQLITE_WAL_AUTOCHECKPOINT_PAGES);
    expect(d.prepare('SELECT COUNT(*) FROM filler').pluck().get()).toBe(2000);
  });

  it('keeps the WAL bounded under steady writes: the connection finishes the worker\'s checkpoints', async () => {
    const d = open();
    const pages = 256; // 1 MiB of WAL
    const checkpointer = new Checkpointer(d, logger, { pages, intervalMs: 20 });
    checkpointer.start();
    const insert = d.prepare('INSERT INTO filler (body) VALUES (?)');
    const walBytes = () => statSync(join(dir, 'feikong.db-wal')).size;
    // Back-to-back transactions of 500 KiB, 32 MiB in all, the event loop turning between them:
    // far more than the worker copies in a pass, so its checkpoints alone never find the WAL copied.
    const total = 32 * pages * 4096;
    let written = 0;
    while (written < total) {
      d.transaction(() => { for (let i = 0; i < 125; i++) insert.run(Buffer.alloc(4000, i % 256)); })();
      written += 125 * 4000;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await checkpointer.stop();
    expect(checkpointer.catchUps).toBeGreaterThan(0);
    // Started again as it was copied: the file stays a fraction of what was written (a WAL that is
    // not started again holds all of it). How far beyond `pages` it gets between two of the
    // worker's passes depends on how the threads are scheduled: 5.3–10.1 MB here, quiet or with
    // three busy processes on the two cores; 36 MB without the connection's checkpoints.
    expect(walBytes()).toBeLessThan(total / 2);
  });

  it('gives checkpoints back to the connection when the worker dies', async () => {
    const d = open();
    const checkpointer = new Checkpointer(d, logger, { pages: SQLITE_WAL_AUTOCHECKPOINT_PAGES, intervalMs: 20 });
    checkpointer.start();
    expect(autocheckpoint(d)).toBe(0);
    await (checkpointer as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await eventually(() => expect(autocheckpoint(d)).toBe(SQLITE_WAL_AUTOCHECKPOINT_PAGES), 20_000, 20);
    await checkpointer.stop(); // nothing left to stop
  });
});
