// One-machine scale figures:
//  - memory per tracked meter: 1,000,000 accounts with one meter each seeded straight into a
//    database (same schema, through the migrations), the daemon started on it; its RSS once
//    ready and idle, minus the RSS of a daemon on an empty database, divided by the meters;
//  - start-up time with 1,000,000 accounts: spawn → GET /readyz 200 (reference: the empty daemon);
//  - database bytes per stored reading (bench/lib/reading-bytes.ts).
import { emit, figure, log, size, type Figure } from './lib/figures.js';
import { median, spread } from './lib/stats.js';
import { startDaemonProcess } from './lib/daemon.js';
import { rssBytes, waitIdle } from './lib/proc.js';
import { seedFleet, tempDir } from './lib/seed.js';
import { measureReadingBytes } from './lib/reading-bytes.js';

const meters = size(1_000_000, 5_000);
const runs = size(3, 1);
const readingMeters = size(10_000, 100);
const readingIntervals = size(200, 50);

interface Started {
  readyMs: number;
  readyCpuS: number;
  /** RSS once the daemon is ready and its start-up work (first engine sweep) is done */
  rss: number;
  idleAfterReadyMs: number;
}

async function startOnce(dataDir: string): Promise<Started> {
  const d = await startDaemonProcess({ dataDir, readyTimeoutMs: 600_000 });
  try {
    const idleAfterReadyMs = await waitIdle(d.pid, 5, 1000, 300_000);
    return { readyMs: d.readyMs, readyCpuS: d.readyCpuS, rss: rssBytes(d.pid), idleAfterReadyMs };
  } finally {
    await d.stop();
  }
}

async function startRuns(label: string, dataDir: string): Promise<Started[]> {
  const out: Started[] = [];
  for (let i = 0; i < runs; i++) {
    const s = await startOnce(dataDir);
    log(`${label} run ${i + 1}/${runs}: ready in ${s.readyMs.toFixed(0)} ms (${s.readyCpuS.toFixed(2)} s CPU), idle ${s.idleAfterReadyMs} ms later, RSS ${(s.rss / 2 ** 20).toFixed(1)} MiB`);
    out.push(s);
  }
  return out;
}

const figures: Figure[] = [];
const empty = tempDir('scale-empty');
const full = tempDir('scale-full');
try {
  seedFleet(empty.dir, 0);
  const seeded = seedFleet(full.dir, meters);
  log(`seeded ${meters} accounts + meters in ${(seeded.seedMs / 1000).toFixed(1)} s`);
  if (runs > 1) {
    // Start once unmeasured on each, so the page cache holds both databases alike.
    await startOnce(empty.dir);
    await startOnce(full.dir);
  }
  const e = await startRuns('empty', empty.dir);
  const f = await startRuns(`${meters} meters`, full.dir);
  const emptyRss = median(e.map((s) => s.rss));
  const fullRss = median(f.map((s) => s.rss));
  const perMeter = f.map((s) => (s.rss - emptyRss) / meters);
  figures.push(figure('scale.memory-per-meter', median(perMeter), 'B/meter', null, {
    spread: spread(perMeter),
    note: `RSS ready+idle ${(fullRss / 2 ** 20).toFixed(1)} MiB with ${meters} meters vs ${(emptyRss / 2 ** 20).toFixed(1)} MiB empty`,
  }));
  figures.push(figure('scale.rss-loaded', fullRss / 2 ** 20, 'MiB', emptyRss / 2 ** 20, { spread: spread(f.map((s) => s.rss / 2 ** 20)) }));
  const ready = f.map((s) => s.readyMs);
  figures.push(figure('scale.startup-1m-accounts', median(ready), 'ms', median(e.map((s) => s.readyMs)), {
    spread: spread(ready, 0), note: `spawn → /readyz 200 with ${meters} accounts; reference: empty database`,
  }));
  const cpu = f.map((s) => s.readyCpuS * 1000);
  figures.push(figure('scale.startup-cpu-1m-accounts', median(cpu), 'ms CPU', median(e.map((s) => s.readyCpuS * 1000)), {
    spread: spread(cpu, 0), note: 'CPU the daemon used from spawn to ready: the start-up work itself, less distorted by a busy machine',
  }));
  figures.push(figure('scale.startup-settle', median(f.map((s) => s.idleAfterReadyMs)), 'ms', null, {
    note: 'after ready, until the daemon uses < 5 % of a core over 1 s (start-up sweep done)',
  }));
} finally {
  empty.remove();
  full.remove();
}

const rb = measureReadingBytes(readingMeters, readingIntervals);
const split = Object.entries(rb.split).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
figures.push(figure('scale.db-bytes-per-reading', rb.bytesPerReading, 'B', null, {
  note: `${rb.readings} readings of ${readingMeters} meters via repos.meters.insertReading; by b-tree: ${split}`,
}));
figures.push(figure('scale.db-bytes-per-reading.without-rowid', rb.withoutRowid, 'B', rb.bytesPerReading, {
  note: 'same readings, readings table WITHOUT ROWID (text meter id, ms ts)',
}));
figures.push(figure('scale.db-bytes-per-reading.without-rowid-s-ts', rb.secondsWithoutRowid, 'B', rb.bytesPerReading, {
  note: 'same readings, WITHOUT ROWID, text meter id, ts in seconds',
}));
figures.push(figure('scale.db-bytes-per-reading.int-meter-s-ts', rb.intMeterSecondsWithoutRowid, 'B', rb.bytesPerReading, {
  note: 'same readings, WITHOUT ROWID, integer meter key, ts in seconds',
}));
figures.push(figure('scale.reading-inserts', rb.insertPerSecond, 'readings/s', null, { note: 'insertReading in transactions of 10,000' }));
emit(figures);
