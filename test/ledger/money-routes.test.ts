// The money routes over HTTP: adjustments (admin, with a reason), emergency credit (once until the
// next payment, which repays it first and shows it), a reversal that makes repaid emergency credit
// owed again, the account view's levels and days-remaining forecast, and GET /v1/ledger/check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { recordReading } from '../../src/ledger/consumption.js';

let fk: TestDaemon;
const DAY = 86_400_000;

beforeAll(async () => {
  fk = await startTestDaemon({
    http: { rateLimit: { max: 0 } },
    buses: [{ id: 'line-1', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 2400 }],
    ledger: { emergencyCreditFen: 1500 },
  });
  for (const id of ['acc-1', 'acc-2', 'acc-3']) expect((await fk.api('POST', '/v1/accounts', { body: { id, name: id, pricePerKwh: '1' } })).status).toBe(201);
});
afterAll(async () => fk?.stop());

const account = async (id: string) => (await fk.api('GET', `/v1/accounts/${id}`)).body;
const entries = async (id: string) => (await fk.api('GET', `/v1/accounts/${id}/ledger`)).body.entries as Array<{ kind: string; amountFen: number; reason: string | null; actor: string }>;
const pay = (accountId: string, channelTxnId: string, amountFen: number) =>
  fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId, channel: 'counter', channelTxnId, amountFen } });

describe('adjustments', () => {
  it('an admin corrects a balance up or down with a reason, recorded in the ledger and the outbox', async () => {
    const up = await fk.api('POST', '/v1/accounts/acc-1/adjustments', { body: { amountFen: 2500, reason: 'meter replaced: refund of estimated bill' } });
    expect(up).toMatchObject({ status: 201, body: { accountId: 'acc-1', amountFen: 2500, balanceFen: 2500 } });
    const down = await fk.api('POST', '/v1/accounts/acc-1/adjustments', { body: { amountFen: -500, reason: 'double refund' } });
    expect(down.body.balanceFen).toBe(2000);
    expect((await entries('acc-1')).map((e) => [e.kind, e.amountFen, e.reason])).toEqual([
      ['adjustment', 2500, 'meter replaced: refund of estimated bill'], ['adjustment', -500, 'double refund'],
    ]);
    const events = fk.daemon.repos.journal.events(0, 'acc-1', 100).filter((e) => e.type === 'adjustment-posted');
    expect(events.map((e) => JSON.parse(e.data).amountFen)).toEqual([2500, -500]);
  });

  it('only admins; a reason and a non-zero amount are required', async () => {
    expect((await fk.api('POST', '/v1/accounts/acc-1/adjustments', { role: 'billing', body: { amountFen: 1, reason: 'why not' } })).status).toBe(403);
    expect((await fk.api('POST', '/v1/accounts/acc-1/adjustments', { body: { amountFen: 1 } })).body.error.message).toContain('reason');
    expect((await fk.api('POST', '/v1/accounts/acc-1/adjustments', { body: { amountFen: 0, reason: 'nothing' } })).status).toBe(400);
    expect((await fk.api('POST', '/v1/accounts/nobody/adjustments', { body: { amountFen: 5, reason: 'nobody' } })).status).toBe(404);
    expect((await account('acc-1')).balanceFen).toBe(2000);
  });
});

describe('emergency credit', () => {
  it('is refused while the balance is above alarm level 2', async () => {
    await pay('acc-2', 'ec-0', 5000);
    const res = await fk.api('POST', '/v1/accounts/acc-2/emergency-credit', { role: 'operator' });
    expect(res).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT', details: { reason: 'balance-above-alarm-level-2' } } } });
  });

  it('is taken once and repaid first by the next payments, which show the repayment', async () => {
    await fk.api('POST', '/v1/accounts/acc-2/adjustments', { body: { amountFen: -5500, reason: 'arrears carried over' } }); // balance -500
    const taken = await fk.api('POST', '/v1/accounts/acc-2/emergency-credit', { role: 'billing' });
    expect(taken).toMatchObject({ status: 201, body: { amountFen: 1500, balanceFen: 1000, outstandingFen: 1500 } });
    expect((await fk.api('POST', '/v1/accounts/acc-2/emergency-credit', { role: 'operator' })).body.error.details.reason).toBe('outstanding');
    expect((await account('acc-2')).emergencyCreditFen).toBe(1500);

    const small = await pay('acc-2', 'ec-1', 1000); // repays 1000 of the 1500; the balance stays
    expect(small.body).toMatchObject({ created: true, balanceFen: 1000, emergencyCreditRepaidFen: 1000 });
    const rest = await pay('acc-2', 'ec-2', 3000); // repays the last 500, 2500 to the balance
    expect(rest.body).toMatchObject({ balanceFen: 3500, emergencyCreditRepaidFen: 500 });
    expect((await pay('acc-2', 'ec-2', 3000)).body).toMatchObject({ created: false, emergencyCreditRepaidFen: 500 });
    expect((await account('acc-2')).emergencyCreditFen).toBe(0);
    expect((await entries('acc-2')).slice(-5).map((e) => [e.kind, e.amountFen])).toEqual([
      ['emergency-credit', 1500], ['payment', 1000], ['emergency-credit', -1000], ['payment', 3000], ['emergency-credit', -500],
    ]);
    const types = fk.daemon.repos.journal.events(0, 'acc-2', 100).map((e) => e.type);
    expect(types).toContain('emergency-credit-taken');
  });

  it('a reversal of a payment that repaid emergency credit makes it owed again', async () => {
    await fk.api('POST', '/v1/accounts/acc-3/adjustments', { body: { amountFen: -100, reason: 'opening arrears' } });
    expect((await fk.api('POST', '/v1/accounts/acc-3/emergency-credit', { role: 'operator' })).status).toBe(201); // balance 1400
    const posted = await pay('acc-3', 'rev-1', 2000); // repays 1500: balance 1900
    expect(posted.body).toMatchObject({ balanceFen: 1900, emergencyCreditRepaidFen: 1500 });
    const reversed = await fk.api('POST', `/v1/payments/${posted.body.payment.id}/reversal`, { role: 'billing', body: { reason: 'cheque bounced' } });
    expect(reversed.body.balanceFen).toBe(1400);
    expect((await account('acc-3')).emergencyCreditFen).toBe(1500);
    expect((await fk.api('GET', '/v1/ledger/check')).body).toMatchObject({ ok: true, violations: [] });
  });
});

describe('the account view', () => {
  it('shows where each level comes from and the days-remaining forecast from recent consumption', async () => {
    const fresh = await account('acc-1');
    expect(fresh).toMatchObject({ daysRemaining: null, averageDailyChargeFen: 0, emergencyCreditFen: 0 });
    expect(fresh.thresholds.alarmLevel1).toEqual({ fen: 2000, spec: { fen: 2000 }, source: 'default', setBy: 'default', skipped: [] });
    // Consumption of 5 yuan a day for the last 4 days (the account is older than that).
    expect((await fk.api('POST', '/v1/meters', { body: { id: 'm-1', accountId: 'acc-1', protocol: 'dlt645', busId: 'line-1', address: '000000000001' } })).status).toBe(201);
    const now = Date.now();
    const repos = fk.daemon.repos;
    for (let d = 4; d >= 0; d--) {
      const ts = now - d * DAY;
      repos.transaction(() => recordReading(repos, { meterId: 'm-1', ts, energyWh: 100_000 + (4 - d) * 5000 }, ts));
    }
    const view = await account('acc-1');
    expect(view.balanceFen).toBe(2000 - 2000);
    // 20 yuan over the window; the account is minutes old, so the average is over one day at least
    expect(view.averageDailyChargeFen).toBe(2000);
    // …a forecast, but no rate to derive levels in days from (ledger.levelsMinHistoryDays)
    expect(view.levelsAverageDailyChargeFen).toBeNull();
    expect(view.daysRemaining).toBe(0);
    await pay('acc-1', 'view-1', 10_000);
    expect((await account('acc-1')).daysRemaining).toBe(5);
    expect((await account('acc-1')).expectedCutoffAt).toMatch(/\+08:00$/);
  });
});

describe('GET /v1/ledger/check', () => {
  it('is for admins and reports every account checked', async () => {
    expect((await fk.api('GET', '/v1/ledger/check', { role: 'operator' })).status).toBe(403);
    const res = await fk.api('GET', '/v1/ledger/check');
    expect(res.body).toMatchObject({ ok: true, accounts: 3, violations: [] });
    expect(res.body.entries).toBeGreaterThan(10);
  });
});
