// The ledger check finds every kind of broken invariant (the damage is done with raw SQL, as a
// bug or a hand edit would), and the CLI entry point reports it with its exit code — run in
// process through runLedgerCheck and as its own process against a real data directory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { testDatabaseEnv } from '../helpers/database.js';
import { postPayment, reversePayment } from '../../src/ledger/payments.js';
import { postAdjustment } from '../../src/ledger/adjustments.js';
import { takeEmergencyCredit } from '../../src/ledger/emergency-credit.js';
import { checkLedger } from '../../src/ledger/check.js';
import { runLedgerCheck } from '../../src/cli/ledger-check.js';

const run = promisify(execFile);
const T0 = Date.UTC(2026, 10, 23);
let t: TestDb;

beforeEach(() => {
  t = openTestDb();
  t.account({ id: 'acc-1' });
  t.account({ id: 'acc-2' });
  const p = postPayment(t.repos, { accountId: 'acc-1', channel: 'pos', channelTxnId: 'p1', amountFen: 5000, paidAt: T0, actor: 'pos' }, T0);
  postPayment(t.repos, { accountId: 'acc-2', channel: 'pos', channelTxnId: 'p2', amountFen: 700, paidAt: T0, actor: 'pos' }, T0);
  reversePayment(t.repos, p.payment.id, 'billing', 'wrong account', T0);
  postAdjustment(t.repos, { accountId: 'acc-1', amountFen: -200, reason: 'fee', actor: 'admin' }, T0);
  takeEmergencyCredit(t.repos, 'acc-1', 1000, 'operator', T0);
});
afterEach(() => t.cleanup());

const rules = () => checkLedger(t.repos, T0).violations.map((v) => `${v.rule}:${v.accountId}`);

describe('checkLedger', () => {
  it('a healthy ledger passes', () => {
    expect(checkLedger(t.repos, T0)).toMatchObject({ ok: true, accounts: 2, payments: 2, violations: [] });
  });

  it('finds a cached balance that is not the sum of the entries', () => {
    t.db.prepare(`UPDATE accounts SET balance_fen = balance_fen + 1 WHERE id = 'acc-2'`).run();
    expect(rules()).toEqual(['balance:acc-2']);
  });

  it("finds an entry whose balance-after is not the running sum", () => {
    t.db.prepare(`UPDATE ledger_entries SET balance_after_fen = 1 WHERE account_id = 'acc-2'`).run();
    expect(rules()).toEqual(['running-balance:acc-2']);
  });

  it('finds a payment without its entry, and an entry changed behind its payment', () => {
    t.db.prepare(`DELETE FROM ledger_entries WHERE kind = 'payment' AND account_id = 'acc-2'`).run();
    t.db.prepare(`UPDATE accounts SET balance_fen = 0 WHERE id = 'acc-2'`).run();
    t.db.prepare(`UPDATE payments SET reversed_at = NULL WHERE account_id = 'acc-1'`).run();
    expect(rules().sort()).toEqual(['payment-entries:acc-1', 'payment-entries:acc-2']);
  });

  it('finds outstanding emergency credit the entries do not account for', () => {
    t.db.prepare(`UPDATE accounts SET emergency_credit_fen = 0 WHERE id = 'acc-1'`).run();
    expect(rules()).toEqual(['emergency-credit:acc-1']);
  });
});

describe('the CLI entry point', () => {
  const collect = () => {
    let text = '';
    const out = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } });
    return { out, text: () => text };
  };

  it('runLedgerCheck prints one JSON report and returns it', () => {
    const { out, text } = collect();
    const report = runLedgerCheck(t.config, out);
    expect(report.ok).toBe(true);
    expect(JSON.parse(text())).toMatchObject({ ok: true, accounts: 2 });
  });

  it('as its own process: exit 0 on a healthy ledger, 1 on a broken one', async () => {
    const env = { ...process.env, FEIKONG_DATA_DIR: t.dir, ...testDatabaseEnv(t.dir) };
    const ok = await run(process.execPath, ['--import', 'tsx', 'src/cli/ledger-check.ts'], { env });
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true });
    t.db.prepare(`UPDATE accounts SET balance_fen = 42 WHERE id = 'acc-1'`).run();
    const broken = await run(process.execPath, ['--import', 'tsx', 'src/cli/ledger-check.ts'], { env }).catch((err: { code: number; stdout: string }) => err);
    expect(broken).toMatchObject({ code: 1 });
    expect(JSON.parse((broken as { stdout: string }).stdout).violations).toEqual([
      expect.objectContaining({ rule: 'balance', accountId: 'acc-1', detail: expect.objectContaining({ cachedFen: 42 }) }),
    ]);
  });
});
