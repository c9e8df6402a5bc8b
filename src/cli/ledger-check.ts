// `feikong ledger check`: runs the ledger check (src/ledger/check.ts) against the configured
// database — safe while the daemon runs — prints the report as one JSON line and exits 0 when
// the ledger holds, 1 when it does not. The CLI dispatcher calls `runLedgerCheck(config, out,
// open)`; run alone: `tsx src/cli/ledger-check.ts [--config feikong.json]`. Either way a missing
// database is refused, not created (src/cli/database.ts).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import { loadConfig } from '../config/load.js';
import { openConfiguredDatabase } from '../db/open.js';
import type { Database } from '../db/database.js';
import { openCliDatabase } from './database.js';
import { createRepositories } from '../db/repo/index.js';
import { checkLedger, type LedgerCheckReport } from '../ledger/check.js';

/** Checks the ledger of the configured database (opened by `open`), writes the report to `out`, and returns it. */
export function runLedgerCheck(config: Config, out: NodeJS.WritableStream = process.stdout,
  open: (config: Config) => Database = openConfiguredDatabase): LedgerCheckReport {
  const db = open(config);
  try {
    const report = checkLedger(createRepositories(db), Date.now());
    out.write(JSON.stringify(report) + '\n');
    return report;
  } finally {
    db.close();
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const i = process.argv.indexOf('--config');
  try {
    const file = i >= 0 ? process.argv[i + 1] : process.env.FEIKONG_CONFIG;
    const report = runLedgerCheck(loadConfig({ file }), process.stdout,
      (config) => openCliDatabase(config, { file, env: process.env }, process.stderr));
    process.exitCode = report.ok ? 0 : 1;
  } catch (err) {
    process.stderr.write(`feikong ledger-check: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
