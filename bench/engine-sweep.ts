// A full engine sweep over a large fleet: 1,000,000 accounts with one meter each, seeded directly
// in one bulk transaction; one account in a thousand is due a cut-off and one in a thousand a
// restore. Each run resets those accounts, then times `engine.sweep()` from start to the moment
// every decision is taken and every command it asked for is durably queued.
//
//   seed (bulk insert) ─▶ mark 0.1 % due a cut-off, 0.1 % due a restore ─▶ warm-up ─▶ N timed sweeps
//
// Run alone: `npx tsx bench/engine-sweep.ts` (BENCH_SMOKE=1 for a 20,000-account smoke run).
// Prints one JSON figure line per figure at the end (bench/lib/figures.ts).
import { pino } from 'pino';
import { openDatabase } from '../src/db/connection.js';
import { createRepositories } from '../src/db/repo/index.js';
import { validateConfig } from '../src/config/load.js';
import { EventBus } from '../src/events.js';
import { createMetrics } from '../src/metrics.js';
import { CommandService } from '../src/commands/service.js';
import type { RelayExecutor } from '../src/commands/executor.js';
import { Engine } from '../src/engine/reconciler.js';
import { seedFleet, tempDir } from './lib/seed.js';
import { emit, figure, log, size } from './lib/figures.js';
import { median, repeat, spread } from './lib/stats.js';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? size(1_000_000, 20_000));
const DUE_EVERY = Number(process.env.BENCH_DUE_EVERY ?? 1000);
const RUNS = size(5, 3);
const WARMUP = 1;
const TARGET_MS = 2000;
const DAY = 86_400_000;

async function main(): Promise<void> {
  const tmp = tempDir('sweep');
  try {
    log(`seeding ${ACCOUNTS} accounts`);
    const seeded = seedFleet(tmp.dir, ACCOUNTS);
    log(`seeded in ${(seeded.seedMs / 1000).toFixed(1)} s`);

    const db = openDatabase(tmp.dir);
    const repos = createRepositories(db);
    const runSync = process.env.BENCH_NOSYNC ? 'OFF' : 'FULL';
    db.pragma(`synchronous = ${runSync}`);
    const config = validateConfig({
      dataDir: tmp.dir,
      engine: { graceMs: DAY, noCut: { nights: false, weekends: false, holidays: false }, maxAttempts: 1, confirmIntervalMs: 50 },
    });
    const logger = pino({ level: 'silent' });
    const events = new EventBus(logger);
    const metrics = createMetrics();
    // The seeded meters sit behind concentrators; a stand-in for them takes each command and
    // answers nothing until the run is over, as a busy concentrator would. So the sweep is timed
    // with the commands it starts really running (their first state change written), not failing.
    let parked = new AbortController();
    const concentrator: RelayExecutor = {
      send: () => new Promise((_resolve, reject) => {
        const signal = parked.signal;
        if (signal.aborted) reject(new Error('bench run over'));
        else signal.addEventListener('abort', () => reject(new Error('bench run over')));
      }),
      readBack: () => Promise.reject(new Error('bench run over')),
    };
    const commands = new CommandService(repos, { mqtt: concentrator }, events, metrics, logger, config.engine);
    const engine = new Engine(repos, commands, events, metrics, logger, config);

    const dueCut = db.prepare(`UPDATE accounts SET balance_fen = -100, alarm_state = 2, alarm2_at = ?, review_at = NULL
      WHERE rowid % ${DUE_EVERY} = 1`);
    const dueRestore = db.prepare(`UPDATE meters SET relay_state = 'open' WHERE rowid % ${DUE_EVERY} = 501`);
    const reset = () => {
      db.transaction(() => {
        db.exec(`DELETE FROM commands`);
        db.exec(`UPDATE meters SET relay_state = 'closed' WHERE relay_state <> 'closed'`);
        dueCut.run(Date.now() - 2 * DAY);
        dueRestore.run();
      })();
    };
    const due = Math.floor(ACCOUNTS / DUE_EVERY) * 2;

    // Between runs the parked commands are failed, each in its own transaction: not the sweep's
    // work, so without fsync (synchronous is per connection); the runs commit as the daemon does.
    const drain = async () => {
      db.pragma('synchronous = OFF');
      parked.abort();
      while (commands.inFlight > 0) await new Promise((r) => setTimeout(r, 20));
      parked = new AbortController();
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.pragma(`synchronous = ${runSync}`);
    };
    const samples = await repeat(RUNS, WARMUP, async (run) => {
      reset();
      const t0 = performance.now();
      await engine.sweep();
      const ms = performance.now() - t0;
      // The drained commands' writes are not the sweep's: checkpointed before the next run.
      await drain();
      const queued = (db.prepare(`SELECT COUNT(*) FROM commands`).pluck().get() as number);
      log(`${run < 0 ? 'warm-up' : `run ${run + 1}`}: ${ms.toFixed(0)} ms, ${queued} commands (expected ~${due})`);
      return ms;
    });
    engine.stop();
    await commands.stop();
    db.close();

    emit([
      figure('engine_sweep_ms', median(samples), 'ms', TARGET_MS, {
        spread: spread(samples, 0),
        note: `full sweep over ${ACCOUNTS} accounts (1 meter each), ${due} of them due a command; reference = target`,
      }),
      figure('engine_sweep_accounts_per_s', ACCOUNTS / (median(samples) / 1000), 'accounts/s', null, { note: 'median run' }),
    ]);
  } finally {
    tmp.remove();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
