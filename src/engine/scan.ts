// The set-based sweep: walks accounts and meters in rowid ranges with two filtered queries (see
// src/db/repo/sweep.ts) and evaluates only the supply points that may need something, plus the
// few with a hold or a command in flight, fetched by id. Each range is evaluated and handed to
// `visit` synchronously, so what is decided is acted on before anything else runs; between
// ranges the event loop gets a turn (polls, payments, HTTP keep flowing during a long sweep).
import type { Repositories, SupplyPointRow } from '../db/repo/index.js';
import type { RelaySafetyConfig } from '../domain/relay-safety.js';
import { evaluateBase, evaluateSupplyPoint, type DecisionContext, type Evaluation } from './evaluate.js';

export interface ScanOptions {
  /** rowids per range; bounds how long one step holds the event loop */
  chunk: number;
  /** meters and accounts to evaluate whatever their balance (holds, commands in flight) */
  meterIds: Iterable<string>;
  accountIds: Iterable<string>;
  /** read relay safety, the last relay command and the latest payment where a command looks due (false: the caller re-evaluates before acting) */
  enrich: boolean;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function scanSupplyPoints(
  repos: Repositories, ctx: DecisionContext, safety: RelaySafetyConfig, options: ScanOptions,
  visit: (evaluations: Evaluation[]) => void,
): Promise<number> {
  const seen = new Set<string>();
  let evaluated = 0;
  const run = (rows: SupplyPointRow[]) => {
    const out: Evaluation[] = [];
    for (const row of rows) {
      if (seen.has(row.meterId) || row.migration) continue; // a migration holds the account until released
      seen.add(row.meterId);
      out.push(options.enrich ? evaluateSupplyPoint(row, ctx, repos, safety) : evaluateBase(row, ctx));
    }
    evaluated += out.length;
    if (out.length > 0) visit(out);
  };

  const explicit: SupplyPointRow[] = [];
  for (const id of options.meterIds) {
    const row = repos.sweep.forMeter(id);
    if (row) explicit.push(row);
  }
  for (const id of options.accountIds) explicit.push(...repos.sweep.forAccount(id));
  run(explicit);

  const maxAccount = repos.sweep.maxAccountRowid();
  for (let lo = 1; lo <= maxAccount; lo += options.chunk) {
    await nextTurn();
    run(repos.sweep.cutoffDue(lo, lo + options.chunk - 1));
  }
  const maxMeter = repos.sweep.maxMeterRowid();
  for (let lo = 1; lo <= maxMeter; lo += options.chunk) {
    await nextTurn();
    run(repos.sweep.restoreDue(lo, lo + options.chunk - 1));
  }
  return evaluated;
}
