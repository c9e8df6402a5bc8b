// The Prometheus metrics' names and labels: every name begins with feikong_ once (prom-client's
// process and Node.js metrics included, no feikong_process_process_), and accounts are counted by
// the states the API and the console use, agreeing with GET /v1/account-states.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { createMetrics } from '../../src/metrics.js';
import { ACCOUNT_STATES } from '../../src/db/repo/accounts.js';

let fk: TestDaemon;

beforeAll(async () => {
  fk = await startTestDaemon({
    buses: [{ id: 'line-1', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 2400 }],
    engine: { accountStatesMaxAgeMs: 0 },
  });
});
afterAll(async () => fk?.stop());

/** Sample lines of one metric: label value → number. */
function samples(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${name}\\{state="([^"]+)"\\} (\\S+)$`, 'gm'))) out[m[1]!] = Number(m[2]);
  return out;
}

describe('metric names', () => {
  it('begin with feikong_ exactly once, prom-client\'s default metrics too', async () => {
    const names = (await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) {
      expect(name, name).toMatch(/^feikong_[a-z0-9_]+$/);
      expect(name, name).not.toMatch(/^feikong_feikong_|process_process_|nodejs_nodejs_/);
    }
    expect(names).toEqual(expect.arrayContaining(['feikong_process_cpu_seconds_total', 'feikong_nodejs_eventloop_lag_seconds', 'feikong_accounts_by_state']));
  });
});

describe('feikong_accounts_by_state', () => {
  it('counts accounts by the API\'s and the console\'s states, each account once, as /v1/account-states does', async () => {
    for (const [id, balance] of [['ms-1', 5000], ['ms-2', 0], ['ms-3', 1500]] as const) {
      expect((await fk.api('POST', '/v1/accounts', { body: { id, name: id, alarmLevel1Fen: 2000, alarmLevel2Fen: 1000 } })).status).toBe(201);
      if (balance > 0) expect((await fk.api('POST', '/v1/payments', { body: { accountId: id, channel: 'pos', channelTxnId: `ms-${id}`, amountFen: balance } })).status).toBe(201);
    }
    // Two meters on one account: still one account.
    for (const [meter, address] of [['ms-m1', '000000000701'], ['ms-m2', '000000000702']]) {
      const res = await fk.api('POST', '/v1/meters', { body: { id: meter, accountId: 'ms-1', protocol: 'dlt645', busId: 'line-1', address } });
      expect(res.status).toBe(201);
    }
    const api = (await fk.api('GET', '/v1/account-states', { role: 'read-only' })).body;
    const text: string = (await fk.api('GET', '/metrics', { role: null })).body;
    const gauge = samples(text, 'feikong_accounts_by_state');
    expect(Object.keys(gauge).sort()).toEqual([...ACCOUNT_STATES].sort());
    for (const state of ACCOUNT_STATES) expect(gauge[state], state).toBe(api[state]);
    expect(Object.values(gauge).reduce((a, b) => a + b, 0)).toBe(api.total);
    expect(api.total).toBe(3);
    expect(gauge['alarm-1']).toBe(1); // ms-3: 15 yuan, below alarm level 1 (20 yuan)
    // The engine's finer view counts supply points: ms-1's two meters, ms-2 and ms-3 without one.
    const points = samples(text, 'feikong_supply_points_by_state');
    expect(Object.values(points).reduce((a, b) => a + b, 0)).toBe(4);
    expect(points['no-meter']).toBe(2);
  });
});
