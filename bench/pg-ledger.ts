// Durable payments on PostgreSQL: the ledger's PostgreSQL path (src/db/pg/ledger.ts) posting
// distinct payments from 100 concurrent clients spread over two pools, as two daemons sharing one
// database would. Each payment is its own READ COMMITTED transaction (payment row, ledger entry,
// balance update, event, audit), committed with PostgreSQL's defaults (fsync on, synchronous
// commit): the server groups concurrent commits into one WAL flush by itself. Reference, in the
// same run: the bare durable commit rate of the same server at the same concurrency (one
// one-row INSERT per transaction). A private server is started on a free loopback port and
// removed at the end (Debian's postgresql).
//
//   tsx bench/pg-ledger.ts            (BENCH_SMOKE=1 for a seconds-long check)
import { emit, figure, log, size } from './lib/figures.js';
import { median, percentile, spread } from './lib/stats.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { closePostgres, createPool, openPostgres, type PgPool } from '../src/db/pg/connection.js';
import { pgLedgerRepository } from '../src/db/pg/ledger.js';

const accounts = size(10_000, 100);
const clients = size(100, 10);
const pools = 2;
const connectionsPerPool = size(20, 4);
const durationS = size(5, 1);
const warmupS = size(2, 0);
const runs = size(3, 1);

interface RunResult {
  perSecond: number;
  p99: number;
}

/** `clients` loops calling `op` back to back for `seconds`; completed ops per second and p99 latency. */
async function drive(seconds: number, op: (client: number, n: number) => Promise<void>): Promise<RunResult> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let n = 0; performance.now() < end; n++) {
      const s = performance.now();
      await op(c, n);
      latencies.push(performance.now() - s);
    }
  }));
  return { perSecond: latencies.length / ((performance.now() - t0) / 1000), p99: percentile(latencies, 99) };
}

const server = await startPostgres();
try {
  const url = await server.createDatabase('feikong_bench');
  const setup = await openPostgres({ connectionString: url });
  log(`seeding ${accounts} accounts`);
  await setup.query(`INSERT INTO tariffs (id, name, definition, created_at) VALUES ('flat', 'Flat', '{"kind":"flat","pricePerKwh":"0.5283"}', 0)`);
  await setup.query(`INSERT INTO accounts (id, name, tariff_id, balance_fen, alarm_level1_fen, alarm_level2_fen, cutoff_level_fen,
    restore_level_fen, emergency_credit_fen, created_at)
    SELECT 'acc-' || g, 'Customer ' || g, 'flat', 0, 2000, 1000, 0, 0, 0, 0 FROM generate_series(0, $1::int - 1) g`, [accounts]);
  await setup.query(`CREATE TABLE bench_commit (id bigserial PRIMARY KEY, x int NOT NULL)`);
  await closePostgres(setup);

  const daemons: PgPool[] = Array.from({ length: pools }, () => createPool({ connectionString: url, max: connectionsPerPool }));
  const ledgers = daemons.map((p) => pgLedgerRepository(p));
  let round = 0;
  const payment = (c: number, n: number) => ledgers[c % pools]!.postPayment({
    channel: 'bank', channelTxnId: `r${round}-c${c}-n${n}`, accountId: `acc-${(c * 7919 + n * 104_729) % accounts}`,
    amountFen: 100 + (n % 900), paidAt: Date.now(), actor: 'key:bench', at: Date.now(),
  }).then(() => undefined);
  const bare = (c: number) => daemons[c % pools]!.query('INSERT INTO bench_commit (x) VALUES (1)').then(() => undefined);

  const paid: RunResult[] = [];
  const commits: RunResult[] = [];
  if (warmupS > 0) {
    round++;
    await drive(warmupS, payment);
    await drive(warmupS, bare);
  }
  for (let r = 1; r <= runs; r++) {
    round++;
    const p = await drive(durationS, payment);
    const b = await drive(durationS, bare);
    paid.push(p);
    commits.push(b);
    log(`run ${r}/${runs}: payments ${p.perSecond.toFixed(0)}/s p99 ${p.p99.toFixed(1)} ms | bare commits ${b.perSecond.toFixed(0)}/s p99 ${b.p99.toFixed(1)} ms`);
  }

  const check = pgLedgerRepository(daemons[0]!);
  const mismatches = await check.checkLedger();
  if (mismatches.length > 0) throw new Error(`ledger check failed after the benchmark: ${JSON.stringify(mismatches.slice(0, 3))}`);
  await Promise.all(daemons.map((p) => closePostgres(p)));

  const rate = median(paid.map((r) => r.perSecond));
  const p99 = median(paid.map((r) => r.p99));
  const bareRate = median(commits.map((r) => r.perSecond));
  const bareP99 = median(commits.map((r) => r.p99));
  const note = `${clients} clients over ${pools} pools of ${connectionsPerPool} connections, ${accounts} accounts, distinct payments; reference: one-row INSERT transactions at the same concurrency`;
  emit([
    figure('pg-ledger.payments', rate, 'payments/s', bareRate, { spread: spread(paid.map((r) => r.perSecond), 0), note }),
    figure('pg-ledger.payments-p99', p99, 'ms', bareP99, { spread: spread(paid.map((r) => r.p99)) }),
  ]);
} finally {
  await server.stop();
}
