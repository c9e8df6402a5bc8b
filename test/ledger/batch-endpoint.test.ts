// POST /v1/payments/batch, a bank's daily file: one result per item, a bad item refused alone,
// duplicates within a file and across resent files credited once, fifty concurrent copies of a
// file credit each payment once, and the 5,000-item limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let fk: TestDaemon;
beforeAll(async () => {
  fk = await startTestDaemon({ http: { rateLimit: { max: 0 } } });
  for (const id of ['acc-1', 'acc-2', 'acc-3']) expect((await fk.api('POST', '/v1/accounts', { body: { id, name: id } })).status).toBe(201);
});
afterAll(async () => fk?.stop());

const balance = async (id: string) => (await fk.api('GET', `/v1/accounts/${id}`)).body.balanceFen as number;
const batch = (items: unknown[], role: 'billing' | 'operator' = 'billing') => fk.api('POST', '/v1/payments/batch', { role, body: { items } });

describe('POST /v1/payments/batch', () => {
  it('answers each item on its own', async () => {
    const res = await batch([
      { accountId: 'acc-1', channel: 'bank-withholding', channelTxnId: 'f1-001', amountFen: 1000, paidAt: '2026-11-22T10:00:00+08:00' },
      { accountId: 'acc-1', channel: 'bank-withholding', channelTxnId: 'f1-001', amountFen: 1000 }, // the same line twice
      { accountId: 'nobody', channel: 'bank-withholding', channelTxnId: 'f1-002', amountFen: 500 },
      { accountId: 'acc-2', channel: 'bank-withholding', channelTxnId: 'f1-003', amountFen: 1.5 },
      { accountId: 'acc-2', channel: 'carrier-pigeon', channelTxnId: 'f1-004', amountFen: 5 },
      { accountId: 'acc-2', channel: 'bank-withholding', channelTxnId: 'f1-005', amountFen: 2500 },
      'not an object',
    ]);
    expect(res.status).toBe(200);
    const r = res.body.results;
    expect(r.map((x: any) => x.status)).toEqual([201, 200, 404, 400, 400, 201, 400]);
    expect(r.map((x: any) => x.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(r[1].result.payment.id).toBe(r[0].result.payment.id);
    expect(r[0].result.payment.paidAt).toBe('2026-11-22T10:00:00.000+08:00');
    expect(r[2].error.code).toBe('ACCOUNT_NOT_FOUND');
    expect(r[3].error).toMatchObject({ code: 'VALIDATION', details: { field: 'items[3].amountFen' } });
    expect(r[4].error.details.field).toBe('items[4].channel');
    expect(res.body.summary).toEqual({ posted: 2, repeated: 1, refused: 4 });
    expect(await balance('acc-1')).toBe(1000);
    expect(await balance('acc-2')).toBe(2500);
  });

  it('a resent file credits nothing again, and a line resent with another amount is refused', async () => {
    const items = [{ accountId: 'acc-3', channel: 'bank', channelTxnId: 'f2-1', amountFen: 700 }, { accountId: 'acc-3', channel: 'bank', channelTxnId: 'f2-2', amountFen: 300 }];
    expect((await batch(items)).body.summary).toEqual({ posted: 2, repeated: 0, refused: 0 });
    const again = await batch([...items, { ...items[0], amountFen: 701 }]);
    expect(again.body.summary).toEqual({ posted: 0, repeated: 2, refused: 1 });
    expect(again.body.results[2]).toMatchObject({ status: 409, error: { code: 'LEDGER_DUPLICATE_MISMATCH' } });
    expect(await balance('acc-3')).toBe(1000);
  });

  it('fifty concurrent copies of a file credit each payment once', async () => {
    const before = await balance('acc-1');
    const items = Array.from({ length: 20 }, (_, i) => ({ accountId: 'acc-1', channel: 'alipay', channelTxnId: `f3-${i}`, amountFen: 10 + i }));
    const answers = await Promise.all(Array.from({ length: 50 }, () => batch(items)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const posted = answers.reduce((n, a) => n + a.body.summary.posted, 0);
    const repeated = answers.reduce((n, a) => n + a.body.summary.repeated, 0);
    expect(posted).toBe(20);
    expect(repeated).toBe(49 * 20);
    for (let i = 0; i < 20; i++) expect(new Set(answers.map((a) => a.body.results[i].result.payment.id)).size).toBe(1);
    expect((await balance('acc-1')) - before).toBe(20 * 10 + (19 * 20) / 2);
    expect((await fk.api('GET', '/v1/ledger/check')).body).toMatchObject({ ok: true });
  });

  it('takes a full daily file of 5,000 items', async () => {
    const items = Array.from({ length: 5000 }, (_, i) => ({ accountId: `acc-${1 + (i % 3)}`, channel: 'bank-withholding', channelTxnId: `big-${String(i).padStart(40, '0')}`, amountFen: 1 }));
    const res = await batch(items);
    expect(res.status).toBe(200);
    expect(res.body.summary).toEqual({ posted: 5000, repeated: 0, refused: 0 });
    expect(res.body.results).toHaveLength(5000);
  });

  it('refuses more than 5,000 items, an empty file, and callers without the billing role', async () => {
    const item = { accountId: 'acc-1', channel: 'bank', channelTxnId: 'x', amountFen: 1 };
    expect((await batch(Array.from({ length: 5001 }, (_, i) => ({ ...item, channelTxnId: `o-${i}` })))).status).toBe(400);
    expect((await batch([])).status).toBe(400);
    expect((await batch([item], 'operator')).status).toBe(403);
  });
});
