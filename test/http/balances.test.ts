// Balances for billing systems: one account, and thousands at once in one prepared query.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { createAccount } from '../../src/fleet.js';
import { postPayment } from '../../src/ledger/payments.js';

let fk: TestDaemon;
const N = 1000;
const ids = Array.from({ length: N }, (_, i) => `b-${String(i).padStart(5, '0')}`);

beforeAll(async () => {
  fk = await startTestDaemon();
  const { repos, config } = fk.daemon;
  repos.transaction(() => {
    for (const [i, id] of ids.entries()) {
      createAccount(repos, config, { id, name: `Customer ${i}` }, 'test', 0);
      postPayment(repos, { accountId: id, channel: 'counter', channelTxnId: `open-${id}`, amountFen: 10_000 + i, paidAt: 0, actor: 'test' }, 0);
    }
  });
});
afterAll(async () => fk?.stop());

describe('balances', () => {
  it('answers one balance, and 404 for an unknown account', async () => {
    const res = await fk.api('GET', '/v1/balances/b-00007', { role: 'billing' });
    expect(res).toMatchObject({ status: 200, body: { accountId: 'b-00007', balanceFen: 10_007, alarmState: 0 } });
    expect((await fk.api('GET', '/v1/balances/nobody', { role: 'billing' })).body.error.code).toBe('ACCOUNT_NOT_FOUND');
  });

  it('answers 1,000 balances in one query and names the missing ids', async () => {
    const res = await fk.api('POST', '/v1/balances/query', { role: 'billing', body: { accountIds: [...ids, 'ghost-1', 'ghost-1'] } });
    expect(res.status).toBe(200);
    expect(res.body.balances).toHaveLength(N);
    const byId = new Map(res.body.balances.map((b: { accountId: string; balanceFen: number }) => [b.accountId, b.balanceFen]));
    expect(byId.get('b-00999')).toBe(10_999);
    expect(res.body.missing).toEqual(['ghost-1']);
  });

  it('reads 1,000 balances from the database in well under 10 ms (figure printed, not asserted)', () => {
    const { repos } = fk.daemon;
    for (let i = 0; i < 20; i++) repos.accounts.balances(ids);
    const runs = 200;
    const started = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) repos.accounts.balances(ids);
    const perQueryMs = Number(process.hrtime.bigint() - started) / 1e6 / runs;
    process.stdout.write(`balance query: 1,000 ids in ${perQueryMs.toFixed(3)} ms (mean of ${runs})\n`);
    expect(repos.accounts.balances(ids)).toHaveLength(N);
  });

  it('limits a query to 5,000 ids and refuses an empty one', async () => {
    const tooMany = Array.from({ length: 5001 }, (_, i) => `x-${i}`);
    const res = await fk.api('POST', '/v1/balances/query', { role: 'billing', body: { accountIds: tooMany } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toContain('accountIds');
    expect((await fk.api('POST', '/v1/balances/query', { role: 'billing', body: { accountIds: [] } })).status).toBe(400);
  });

  it('lets read-only keys read balances on both routes, and says so in OpenAPI', async () => {
    const one = await fk.api('GET', '/v1/balances/b-00003', { role: 'read-only' });
    expect(one).toMatchObject({ status: 200, body: { accountId: 'b-00003', balanceFen: 10_003 } });
    const many = await fk.api('POST', '/v1/balances/query', { role: 'read-only', body: { accountIds: ['b-00003', 'b-00004', 'ghost'] } });
    expect(many.status).toBe(200);
    expect(many.body.balances).toEqual([one.body, expect.objectContaining({ accountId: 'b-00004', balanceFen: 10_004 })]);
    expect(many.body.missing).toEqual(['ghost']);
    // Reading stays reading: read-only keys still may not post a payment.
    const pay = await fk.api('POST', '/v1/payments', { role: 'read-only', body: { accountId: 'b-00003', channel: 'pos', channelTxnId: 'ro-1', amountFen: 1 } });
    expect(pay).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });

    const doc = (await fk.api('GET', '/docs/json', { role: null })).body;
    for (const op of [doc.paths['/v1/balances/{accountId}'].get, doc.paths['/v1/balances/query'].post]) {
      expect(op.description).toContain('Roles: admin, billing, operator, read-only.');
    }
    expect(doc.paths['/v1/payments'].post.description).not.toContain('read-only');
  });

  it('does not audit balance queries as writes', async () => {
    const count = () => fk.daemon.repos.db.prepare("SELECT COUNT(*) FROM audit WHERE action LIKE 'http POST /v1/balances%'").pluck().get();
    await fk.api('POST', '/v1/balances/query', { role: 'operator', body: { accountIds: ['b-00001'] } });
    expect(count()).toBe(0);
  });
});
