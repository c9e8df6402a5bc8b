// Tariffs over the API: defined once and never changed, validation errors that name what is wrong,
// accounts created on a defined tariff, and a tariff change from a future time that charges the
// readings after it at the new price and the ones before at the old (through the real ledger).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { recordReading } from '../../src/ledger/consumption.js';

let fk: TestDaemon;

beforeAll(async () => {
  fk = await startTestDaemon({ buses: [{ id: 'line-1', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 2400 }] });
});
afterAll(async () => fk?.stop());

const tiered = { kind: 'tiered', period: 'month', steps: [{ upToKwh: 200, pricePerKwh: '0.5283' }, { upToKwh: 400, pricePerKwh: '0.5783' }, { pricePerKwh: '0.8283' }] };

describe('tariffs', () => {
  it('defines a tariff once: the same definition again answers 200, another one 409, and only an admin may define', async () => {
    const created = await fk.api('POST', '/v1/tariffs', { body: { id: 'res-tiered', name: '居民阶梯', definition: tiered } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'res-tiered', name: '居民阶梯', definition: tiered });
    const again = await fk.api('POST', '/v1/tariffs', { body: { id: 'res-tiered', name: '居民阶梯', definition: tiered } });
    expect(again.status).toBe(200);
    const other = await fk.api('POST', '/v1/tariffs', { body: { id: 'res-tiered', name: 'x', definition: { kind: 'flat', pricePerKwh: '0.6' } } });
    expect(other.status).toBe(409);
    expect(other.body.error.details.field).toBe('id');
    const billing = await fk.api('POST', '/v1/tariffs', { role: 'billing', body: { id: 't-2', name: 'x', definition: { kind: 'flat', pricePerKwh: '0.6' } } });
    expect(billing.status).toBe(403);

    const one = await fk.api('GET', '/v1/tariffs/res-tiered', { role: 'read-only' });
    expect(one.status).toBe(200);
    expect(one.body.definition).toEqual(tiered);
    const list = await fk.api('GET', '/v1/tariffs', { role: 'billing' });
    expect(list.body.items.map((t: { id: string }) => t.id)).toContain('res-tiered');
    expect((await fk.api('GET', '/v1/tariffs/nope', { role: 'read-only' })).status).toBe(404);
  });

  it('refuses a definition that is not a tariff, saying what is wrong', async () => {
    const badPrice = await fk.api('POST', '/v1/tariffs', { body: { id: 'bad-1', name: 'x', definition: { kind: 'flat', pricePerKwh: 0.5 } } });
    expect(badPrice.status).toBe(400);
    expect(badPrice.body.error.message).toContain('pricePerKwh');
    expect(badPrice.body.error.details.field).toBe('body.definition.pricePerKwh'); // the field at fault, as a path in the request
    const badSteps = await fk.api('POST', '/v1/tariffs', { body: { id: 'bad-2', name: 'x', definition: { kind: 'tiered', period: 'month', steps: [{ upToKwh: 200, pricePerKwh: '0.5' }, { upToKwh: 100, pricePerKwh: '0.6' }, { pricePerKwh: '0.7' }] } } });
    expect(badSteps.status).toBe(400);
    expect(badSteps.body.error.message).toContain('steps[1].upToKwh');
    const badKind = await fk.api('POST', '/v1/tariffs', { body: { id: 'bad-3', name: 'x', definition: { kind: 'lunar' } } });
    expect(badKind.status).toBe(400);
    expect((await fk.api('GET', '/v1/tariffs/bad-1', { role: 'read-only' })).status).toBe(404);
  });

  it('changes an account\'s tariff from a future time: readings before it are charged at the old price, after it at the new', async () => {
    await fk.api('POST', '/v1/tariffs', { body: { id: 'flat-a', name: 'A', definition: { kind: 'flat', pricePerKwh: '0.5000' } } });
    await fk.api('POST', '/v1/tariffs', { body: { id: 'flat-b', name: 'B', definition: { kind: 'flat', pricePerKwh: '1.0000' } } });
    const acc = await fk.api('POST', '/v1/accounts', { body: { id: 'tc-1', name: '张三', tariffId: 'flat-a' } });
    expect(acc.status).toBe(201);
    const meter = await fk.api('POST', '/v1/meters', { body: { id: 'tc-m1', accountId: 'tc-1', protocol: 'dlt645', busId: 'line-1', address: '000000000071' } });
    expect(meter.status).toBe(201);
    const { repos } = fk.daemon;
    const now = Date.now();
    const read = (ts: number, wh: number) => repos.transaction(() => recordReading(repos, { meterId: 'tc-m1', ts, energyWh: wh }, Date.now()));
    read(now - 60_000, 1_000_000);

    const past = await fk.api('POST', '/v1/accounts/tc-1/tariff-changes', { role: 'billing', body: { tariffId: 'flat-b', effectiveFrom: new Date(now - 3_600_000).toISOString() } });
    expect(past.status).toBe(400);
    expect(past.body.error.details.field).toBe('effectiveFrom');
    const unknown = await fk.api('POST', '/v1/accounts/tc-1/tariff-changes', { role: 'billing', body: { tariffId: 'nope', effectiveFrom: new Date(now + 60_000).toISOString() } });
    expect(unknown.status).toBe(404);
    const byOperator = await fk.api('POST', '/v1/accounts/tc-1/tariff-changes', { role: 'operator', body: { tariffId: 'flat-b', effectiveFrom: new Date(now + 60_000).toISOString() } });
    expect(byOperator.status).toBe(403);

    const change = await fk.api('POST', '/v1/accounts/tc-1/tariff-changes', { role: 'billing', body: { tariffId: 'flat-b', effectiveFrom: new Date(now + 60_000).toISOString() } });
    expect(change.status).toBe(201);
    const again = await fk.api('POST', '/v1/accounts/tc-1/tariff-changes', { role: 'billing', body: { tariffId: 'flat-a', effectiveFrom: new Date(now + 60_000).toISOString() } });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'CONFLICT', details: { field: 'effectiveFrom' } });
    const schedule = await fk.api('GET', '/v1/accounts/tc-1/tariff', { role: 'read-only' });
    expect(schedule.body.tariffId).toBe('flat-a');
    expect(schedule.body.changes).toHaveLength(1);
    expect(schedule.body.changes[0].tariffId).toBe('flat-b');
    expect(Date.parse(schedule.body.changes[0].effectiveFrom)).toBe(now + 60_000);
    expect(schedule.body.changes[0].actor).toMatch(/^key:/);

    const before = repos.accounts.get('tc-1')!.balanceFen;
    read(now + 30_000, 1_010_000); // 10 kWh before the change: 0.5 yuan/kWh → 500 fen
    expect(repos.accounts.get('tc-1')!.balanceFen).toBe(before - 500);
    // 10 kWh over 90 s across the change, split at it by time: 3,333 Wh at 0.5 (13,333 Wh in all at 0.5: 667 fen, 500
    // charged) and 6,667 Wh at 1 yuan (667 fen)
    read(now + 120_000, 1_020_000);
    const after = repos.accounts.get('tc-1')!.balanceFen;
    expect(after).toBe(before - 500 - 167 - 667);
    const audit = repos.db.prepare(`SELECT actor FROM audit WHERE action = 'tariff-assigned' AND target = 'tc-1'`).all();
    expect(audit).toHaveLength(1);
  });
});
