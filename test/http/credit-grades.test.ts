// Changing an account's credit grade over the API derives its levels again at once, in both
// directions: the overdraft, the grace and the warning lead are the new grade's (docs/design.md
// "Credit grades"), and each level's `source` says truthfully where it came from — the grade, the
// defaults, or the account's own override, which wins over the grade until it is removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const HOUR = 3_600_000;
let fk: TestDaemon;

beforeAll(async () => {
  fk = await startTestDaemon({ buses: [{ id: 'line-1', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 2400 }], engine: { graceMs: 24 * HOUR } });
  expect((await fk.api('POST', '/v1/accounts', { body: { id: 'g-1', name: '王芳' } })).status).toBe(201);
  expect((await fk.api('POST', '/v1/meters', { body: { id: 'm-g1', accountId: 'g-1', protocol: 'dlt645', busId: 'line-1', address: '000000000701' } })).status).toBe(201);
});
afterAll(async () => fk?.stop());

async function grade(to: string | null, body: Record<string, unknown> = {}) {
  const res = await fk.api('PATCH', '/v1/accounts/g-1', { body: { ...(to ? { creditGrade: to } : {}), ...body } });
  expect(res.status).toBe(200);
  const why = await fk.api('GET', '/v1/meters/m-g1/why', { role: 'operator' });
  expect(why.status).toBe(200);
  return { account: res.body, graceMs: why.body.graceMs as number, whyLevels: why.body.levels };
}

describe('a credit-grade change', () => {
  it('B → A → D → B: overdraft, grace and warning lead follow the grade, with their sources', async () => {
    const b = (await fk.api('GET', '/v1/accounts/g-1')).body;
    expect(b).toMatchObject({ creditGrade: 'B', cutoffLevelFen: 0, alarmLevel2Fen: 1000 });
    expect(b.thresholds.cutoffLevel).toEqual({ fen: 0, spec: { fen: 0 }, source: 'default', setBy: 'default', skipped: [] });

    // Up to A: 50 yuan of overdraft and three days of grace.
    const a = await grade('A');
    expect(a.account).toMatchObject({ creditGrade: 'A', cutoffLevelFen: -5000 });
    expect(a.account.thresholds.cutoffLevel).toEqual({ fen: -5000, spec: { fen: -5000 }, source: 'grade', setBy: 'grade', skipped: [] });
    expect(a.graceMs).toBe(72 * HOUR);
    expect(a.whyLevels.cutoffLevelFen).toBe(-5000);
    // A's warning lead is in days; with no consumption yet the money default stands in, and says so.
    expect(a.account.thresholds.alarmLevel2).toEqual({ fen: 1000, spec: { fen: 1000 }, source: 'default', setBy: 'default', skipped: [{ days: 1, setBy: 'grade' }] });

    // Down to D: the overdraft goes, the grace is four hours, the warning lead five days.
    const d = await grade('D');
    expect(d.account).toMatchObject({ creditGrade: 'D', cutoffLevelFen: 0 });
    expect(d.account.thresholds.cutoffLevel).toEqual({ fen: 0, spec: { fen: 0 }, source: 'grade', setBy: 'grade', skipped: [] });
    expect(d.graceMs).toBe(4 * HOUR);
    expect(d.account.thresholds.alarmLevel2.skipped).toEqual([{ days: 5, setBy: 'grade' }]);

    // Back to B, the standard grade: the configured defaults.
    const back = await grade('B');
    expect(back.account).toMatchObject({ creditGrade: 'B', cutoffLevelFen: 0 });
    expect(back.account.thresholds.cutoffLevel.source).toBe('default');
    expect(back.graceMs).toBe(24 * HOUR);
  });

  it("the account's own cut-off level wins over any grade, until it is removed", async () => {
    const own = await grade(null, { cutoffLevelFen: -1000 });
    expect(own.account.thresholds.cutoffLevel).toEqual({ fen: -1000, spec: { fen: -1000 }, source: 'override', setBy: 'override', skipped: [] });
    const a = await grade('A');
    expect(a.account.cutoffLevelFen).toBe(-1000);
    expect(a.account.thresholds.cutoffLevel.source).toBe('override');
    expect(a.graceMs).toBe(72 * HOUR);
    const removed = await grade(null, { levelOverrides: { cutoffLevel: null } });
    expect(removed.account.cutoffLevelFen).toBe(-5000);
    expect(removed.account.thresholds.cutoffLevel.source).toBe('grade');
    const b = await grade('B');
    expect(b.account.cutoffLevelFen).toBe(0);
    expect(b.account.thresholds.cutoffLevel.source).toBe('default');
  });

  it('moves the alarm state with the levels, and refuses money levels out of order', async () => {
    await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'g-1', channel: 'wechat', channelTxnId: 'g-pay', amountFen: 1500 } });
    expect((await fk.api('GET', '/v1/accounts/g-1')).body).toMatchObject({ balanceFen: 1500, alarmState: 1 });
    const up = await grade(null, { levelOverrides: { alarmLevel2: { fen: 1800 } } });
    expect(up.account).toMatchObject({ alarmLevel2Fen: 1800, alarmState: 2 });
    const down = await grade(null, { levelOverrides: { alarmLevel2: null } });
    expect(down.account).toMatchObject({ alarmLevel2Fen: 1000, alarmState: 1 });
    const bad = await fk.api('PATCH', '/v1/accounts/g-1', { body: { alarmLevel2Fen: 5000 } });
    expect(bad.status).toBe(400);
    expect((await fk.api('GET', '/v1/accounts/g-1')).body.alarmLevel2Fen).toBe(1000);
  });
});
