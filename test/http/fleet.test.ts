// Accounts and meters over the API: list with filters and cursor paging, change (audited, levels
// move the alarm state), delete only without history, counts by state, and the meter commands list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let fk: TestDaemon;

const auditOf = (action: string) => fk.daemon.repos.db.prepare('SELECT actor, action, target, detail FROM audit WHERE action = ? ORDER BY id')
  .all(action) as Array<{ actor: string; action: string; target: string; detail: string }>;

beforeAll(async () => {
  fk = await startTestDaemon({
    buses: [{ id: 'line-1', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 2400 }, { id: 'line-2', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 2400 }],
    mqtt: { concentrators: { 'dcu-free': { meterAddressRule: 'free-form' } } },
  });
  for (let i = 1; i <= 12; i++) {
    const id = `a-${String(i).padStart(2, '0')}`;
    const res = await fk.api('POST', '/v1/accounts', { body: { id, name: i % 2 ? `王 ${i}` : `Li ${i}`, category: i <= 3 ? 'commercial' : 'residential', protected: i === 5 } });
    expect(res.status).toBe(201);
  }
  const m = await fk.api('POST', '/v1/meters', { body: { id: 'm-01', accountId: 'a-01', protocol: 'dlt645', busId: 'line-1', address: '000000000001' } });
  expect(m.status).toBe(201);
});
afterAll(async () => fk?.stop());

describe('accounts', () => {
  it('pages through every account by cursor, each once, in id order', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res = await fk.api('GET', `/v1/accounts?limit=5${after ? `&after=${after}` : ''}`, { role: 'read-only' });
      expect(res.status).toBe(200);
      seen.push(...res.body.accounts.map((a: { id: string }) => a.id));
      after = res.body.next;
      pages++;
    } while (after);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `a-${String(i + 1).padStart(2, '0')}`));
    expect(pages).toBe(3);
  });

  it('filters by text, category, protection and state', async () => {
    const byName = await fk.api('GET', `/v1/accounts?q=${encodeURIComponent('王')}`, { role: 'operator' });
    expect(byName.body.accounts.map((a: { id: string }) => a.id)).toEqual(['a-01', 'a-03', 'a-05', 'a-07', 'a-09', 'a-11']);
    const byId = await fk.api('GET', '/v1/accounts?q=a-1', { role: 'operator' });
    expect(byId.body.accounts.map((a: { id: string }) => a.id)).toEqual(['a-10', 'a-11', 'a-12']);
    const commercial = await fk.api('GET', '/v1/accounts?category=commercial', { role: 'operator' });
    expect(commercial.body.accounts).toHaveLength(3);
    const prot = await fk.api('GET', '/v1/accounts?protected=true', { role: 'operator' });
    expect(prot.body.accounts.map((a: { id: string }) => a.id)).toEqual(['a-05']);
    // 15 yuan is below alarm level 1 (20 yuan) and above alarm level 2 (10 yuan).
    await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'a-06', channel: 'counter', channelTxnId: 'p-a06', amountFen: 1500 } });
    const alarmed = await fk.api('GET', '/v1/accounts?state=alarm-1&limit=100', { role: 'operator' });
    expect(alarmed.body.accounts.map((a: { id: string; state: string }) => [a.id, a.state])).toEqual([['a-06', 'alarm-1']]);
    const wildcard = await fk.api('GET', '/v1/accounts?q=%25', { role: 'operator' });
    expect(wildcard.body.accounts).toEqual([]);
  });

  it('counts accounts by state for the overview', async () => {
    const res = await fk.api('GET', '/v1/account-states', { role: 'read-only' });
    expect(res.status).toBe(200);
    expect(res.body.total).toBeGreaterThanOrEqual(12);
    expect(res.body['alarm-2'] + res.body['alarm-1'] + res.body.normal + res.body['cut-off'] + res.body.review).toBe(res.body.total);
  });

  it('changes category, grade, protection and levels, audits the change with the key, and re-arms alarms', async () => {
    await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'a-02', channel: 'counter', channelTxnId: 'p-a02', amountFen: 1500 } });
    let a = (await fk.api('GET', '/v1/accounts/a-02')).body;
    expect(a.alarmState).toBe(1); // 15 yuan: below alarm 1 (20), above alarm 2 (10)
    const res = await fk.api('PATCH', '/v1/accounts/a-02', { body: { category: 'school', creditGrade: 'A', protected: true, alarmLevel1Fen: 1000, alarmLevel2Fen: 500 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ category: 'school', creditGrade: 'A', protected: true, alarmLevel1Fen: 1000, alarmLevel2Fen: 500, alarmState: 0, state: 'normal' });
    // Created at 0 fen: alarm level 2 from the first moment; the payment re-armed it to 1, the new levels to 0.
    const rearmed = fk.daemon.repos.journal.eventsWhere(0, { accountId: 'a-02', types: ['alarm-rearmed'] }, 10);
    expect(rearmed.map((e) => (JSON.parse(e.data) as { alarmState: number }).alarmState)).toEqual([1, 0]);
    const audit = auditOf('account-updated').find((r) => r.target === 'a-02')!;
    expect(audit.actor).toBe('key:test-admin');
    expect(JSON.parse(audit.detail).creditGrade).toEqual({ from: 'B', to: 'A' });
    const http = auditOf('http PATCH /v1/accounts/:id').find((r) => r.target === 'a-02')!;
    expect(JSON.parse(http.detail)).toMatchObject({ status: 200, role: 'admin' });
    // Raising the levels above the balance raises alarm 1 again (once).
    a = (await fk.api('PATCH', '/v1/accounts/a-02', { body: { alarmLevel1Fen: 2000 } })).body;
    expect(a.alarmState).toBe(1);
    expect(fk.daemon.repos.journal.eventsWhere(0, { accountId: 'a-02', types: ['alarm-level-1'] }, 10).length).toBe(2);
  });

  it('refuses levels out of order, unknown fields and an empty change', async () => {
    expect((await fk.api('PATCH', '/v1/accounts/a-03', { body: { alarmLevel2Fen: 999_999 } })).body.error.code).toBe('VALIDATION');
    const mass = await fk.api('PATCH', '/v1/accounts/a-03', { body: { balanceFen: 1_000_000 } });
    expect(mass.status).toBe(400);
    expect(mass.body.error.message).toContain('balanceFen');
    expect((await fk.api('PATCH', '/v1/accounts/a-03', { body: {} })).status).toBe(400);
    expect((await fk.api('GET', '/v1/accounts/a-03')).body.balanceFen).toBe(0);
  });

  it('deletes an account without history, keeps one with ledger entries or meters (409)', async () => {
    expect((await fk.api('DELETE', '/v1/accounts/a-12')).status).toBe(204);
    expect((await fk.api('GET', '/v1/accounts/a-12')).status).toBe(404);
    const withMoney = await fk.api('DELETE', '/v1/accounts/a-02');
    expect(withMoney).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect(withMoney.body.error.message).toContain('ledger');
    expect((await fk.api('DELETE', '/v1/accounts/a-01')).status).toBe(409);
    expect((await fk.api('DELETE', '/v1/accounts/a-12')).status).toBe(404);
    expect(auditOf('account-deleted').map((r) => r.target)).toEqual(['a-12']);
  });

  it('pages the ledger newest first', async () => {
    for (let i = 0; i < 3; i++) await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'a-04', channel: 'pos', channelTxnId: `l-${i}`, amountFen: 100 + i } });
    const first = await fk.api('GET', '/v1/accounts/a-04/ledger?order=desc&limit=2', { role: 'billing' });
    expect(first.body.entries.map((e: { amountFen: number }) => e.amountFen)).toEqual([102, 101]);
    const second = await fk.api('GET', `/v1/accounts/a-04/ledger?order=desc&limit=2&after=${first.body.next}`, { role: 'billing' });
    expect(second.body.entries.map((e: { amountFen: number }) => e.amountFen)).toEqual([100]);
    expect(second.body.next).toBeNull();
  });
});

describe('meters', () => {
  it('lists meters with filters', async () => {
    await fk.api('POST', '/v1/meters', { body: { id: 'm-02', accountId: 'a-03', protocol: 'dlt645', busId: 'line-2', address: '000000000002' } });
    const all = await fk.api('GET', '/v1/meters', { role: 'read-only' });
    expect(all.body.meters.map((m: { id: string }) => m.id)).toEqual(['m-01', 'm-02']);
    const onBus = await fk.api('GET', '/v1/meters?busId=line-2', { role: 'read-only' });
    expect(onBus.body.meters.map((m: { id: string }) => m.id)).toEqual(['m-02']);
    const ofAccount = await fk.api('GET', '/v1/meters?accountId=a-01&limit=1', { role: 'read-only' });
    expect(ofAccount.body).toMatchObject({ meters: [{ id: 'm-01' }], next: 'm-01' });
  });

  it('changes a meter (audited), refusing an unknown bus and a taken address', async () => {
    const res = await fk.api('PATCH', '/v1/meters/m-02', { body: { supportsDirectClose: false, busId: 'line-1', address: '000000000003' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ busId: 'line-1', address: '000000000003', supportsDirectClose: false });
    expect((await fk.api('PATCH', '/v1/meters/m-02', { body: { busId: 'nowhere' } })).status).toBe(422);
    expect((await fk.api('PATCH', '/v1/meters/m-02', { body: { address: '000000000001' } })).body.error.code).toBe('CONFLICT');
    expect((await fk.api('PATCH', '/v1/meters/m-02', { body: { accountId: 'a-04' } })).status).toBe(400);
    expect(auditOf('meter-updated').map((r) => r.target)).toEqual(['m-02']);
  });

  it('checks a new address against the meter\'s own protocol, and keeps concentrator meters off buses', async () => {
    const bad = await fk.api('PATCH', '/v1/meters/m-02', { body: { address: '17' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('address');
    expect(bad.body.error.message).toContain('12 decimal digits');
    expect(bad.body.error.details.rule).toBe('dlt645');
    // A concentrator's meters are DL/T 645 addresses unless its configuration says otherwise.
    const refused = await fk.api('POST', '/v1/meters', { body: { id: 'm-dcu', accountId: 'a-06', protocol: 'mqtt', concentratorId: 'dcu-1', address: 'M-0001' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('dlt645 address rule');
    const dcu = await fk.api('POST', '/v1/meters', { body: { id: 'm-dcu', accountId: 'a-06', protocol: 'mqtt', concentratorId: 'dcu-free', address: 'M-0001' } });
    expect(dcu.status).toBe(201);
    const moved = await fk.api('PATCH', '/v1/meters/m-dcu', { body: { address: 'M-0002' } });
    expect(moved.status).toBe(200);
    expect(moved.body.address).toBe('M-0002');
    const onBus = await fk.api('PATCH', '/v1/meters/m-dcu', { body: { busId: 'line-1' } });
    expect(onBus.status).toBe(400);
    expect(onBus.body.error.details.field).toBe('busId');
    expect((await fk.api('DELETE', '/v1/meters/m-dcu')).status).toBe(204);
  });

  it('deletes a meter without history and keeps one with commands', async () => {
    const cmd = await fk.api('POST', '/v1/meters/m-01/commands', { role: 'operator', body: { action: 'disconnect', reason: 'meter exchange' } });
    expect(cmd.status).toBe(202);
    expect((await fk.api('DELETE', '/v1/meters/m-01')).body.error.code).toBe('CONFLICT');
    expect((await fk.api('DELETE', '/v1/meters/m-02')).status).toBe(204);
    expect((await fk.api('GET', '/v1/meters/m-02')).status).toBe(404);
  });

  it('lists commands of all meters by state, newest first', async () => {
    const res = await fk.api('GET', '/v1/commands?state=queued,sent,failed,expired,confirmed', { role: 'operator' });
    expect(res.status).toBe(200);
    expect(res.body.commands.map((c: { meterId: string }) => c.meterId)).toContain('m-01');
    const none = await fk.api('GET', '/v1/commands?state=cancelled', { role: 'operator' });
    expect(none.body.commands).toEqual([]);
    expect((await fk.api('GET', '/v1/commands?state=bogus', { role: 'operator' })).status).toBe(400);
    expect((await fk.api('GET', '/v1/commands?after=not-a-cursor', { role: 'operator' })).status).toBe(400);
  });
});
