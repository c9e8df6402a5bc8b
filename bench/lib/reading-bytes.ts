// Database bytes per stored reading: N readings inserted through the repository
// (repos.meters.insertReading, in transactions of 10,000, time-major like a fleet reporting every
// 15 minutes), file growth after a WAL checkpoint divided by N; the per-table split from dbstat;
// and the same readings in alternative table layouts, to size a schema change. The alternatives
// measure bytes only: the same rows in the same order, in one transaction without fsync and with
// a page cache that holds the whole file. A b-tree's pages depend on the order of the inserts, not
// on where commits fall, so the file is the same size, in seconds rather than minutes.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase } from '../../src/db/connection.js';
import { createRepositories } from '../../src/db/repo/index.js';
import { meterId, seedFleet, tempDir } from './seed.js';

const INTERVAL_MS = 15 * 60_000;
const TXN = 10_000;
export const BASE_TS = Date.UTC(2026, 0, 1);

function fileBytes(db: BetterSqlite3.Database, path: string): number {
  db.pragma('wal_checkpoint(TRUNCATE)');
  return statSync(path).size;
}

/** Readings in arrival order: every meter once per interval, registers rising by 0–500 Wh. */
function* readings(meters: number, intervals: number): Generator<[number, number, number]> {
  const energy = new Array<number>(meters);
  let x = 0x1234567;
  const rnd = () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return x >>> 0;
  };
  for (let m = 0; m < meters; m++) energy[m] = rnd() % 10_000_000;
  for (let t = 0; t < intervals; t++) {
    for (let m = 0; m < meters; m++) {
      energy[m]! += rnd() % 500;
      yield [m, BASE_TS + t * INTERVAL_MS, energy[m]!];
    }
  }
}

export interface ReadingBytes {
  readings: number;
  bytesPerReading: number;
  insertPerSecond: number;
  /** bytes per reading by table/index, from dbstat */
  split: Record<string, number>;
  /** alternative layouts, bytes per reading */
  withoutRowid: number;
  secondsWithoutRowid: number;
  intMeterSecondsWithoutRowid: number;
}

function alternative(all: Array<[number, number, number]>, ddl: string, row: (m: number, ts: number, e: number) => unknown[]): number {
  const dir = tempDir('layout');
  try {
    const path = join(dir.dir, 'alt.db');
    const db = new BetterSqlite3(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1048576'); // KiB: 1 GiB at most, far above the file
    db.exec(ddl);
    const before = fileBytes(db, path);
    const ins = db.prepare('INSERT INTO r VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    db.transaction(() => {
      for (const [m, ts, e] of all) ins.run(...row(m, ts, e));
    })();
    const grown = fileBytes(db, path) - before;
    db.close();
    return grown / all.length;
  } finally {
    dir.remove();
  }
}

export function measureReadingBytes(meters: number, intervals: number): ReadingBytes {
  const dir = tempDir('readings');
  try {
    seedFleet(dir.dir, meters);
    const path = join(dir.dir, 'feikong.db');
    const db = openDatabase(dir.dir);
    const repos = createRepositories(db);
    const before = fileBytes(db, path);
    const pagesBefore = new Map((db.prepare('SELECT name, SUM(pgsize) AS b FROM dbstat GROUP BY name').all() as Array<{ name: string; b: number }>)
      .map((r) => [r.name, r.b]));
    const ids = Array.from({ length: meters }, (_, m) => meterId(m));
    let n = 0;
    let batch: Array<[number, number, number]> = [];
    const t0 = performance.now();
    const flush = () => {
      repos.transaction(() => {
        for (const [m, ts, e] of batch) if (repos.meters.insertReading(ids[m]!, ts, e)) n++;
      });
      batch = [];
    };
    for (const r of readings(meters, intervals)) {
      batch.push(r);
      if (batch.length === TXN) flush();
    }
    flush();
    const seconds = (performance.now() - t0) / 1000;
    const grown = fileBytes(db, path) - before;
    const split: Record<string, number> = {};
    for (const r of db.prepare('SELECT name, SUM(pgsize) AS b FROM dbstat GROUP BY name').all() as Array<{ name: string; b: number }>) {
      const d = r.b - (pagesBefore.get(r.name) ?? 0);
      if (d > 0) split[r.name] = d / n;
    }
    db.close();
    const all = [...readings(meters, intervals)];
    return {
      readings: n, bytesPerReading: grown / n, insertPerSecond: n / seconds, split,
      withoutRowid: alternative(all,
        'CREATE TABLE r (meter_id TEXT NOT NULL, ts INTEGER NOT NULL, energy_wh INTEGER NOT NULL, PRIMARY KEY (meter_id, ts)) WITHOUT ROWID',
        (m, ts, e) => [ids[m], ts, e]),
      secondsWithoutRowid: alternative(all,
        'CREATE TABLE r (meter_id TEXT NOT NULL, ts INTEGER NOT NULL, energy_wh INTEGER NOT NULL, PRIMARY KEY (meter_id, ts)) WITHOUT ROWID',
        (m, ts, e) => [ids[m], ts / 1000, e]),
      intMeterSecondsWithoutRowid: alternative(all,
        'CREATE TABLE r (meter INTEGER NOT NULL, ts INTEGER NOT NULL, energy_wh INTEGER NOT NULL, PRIMARY KEY (meter, ts)) WITHOUT ROWID',
        (m, ts, e) => [m + 1, ts / 1000, e]),
    };
  } finally {
    dir.remove();
  }
}
