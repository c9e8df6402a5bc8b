// Charging over HTTP (docs/charging.md): a consumption entry in the ledger API shows its interval
// and breakdown; GET /v1/accounts/{id}/energy-reconciliation shows metered against charged
// energy per charging period; a meter shows its latest register mismatch; and the OpenAPI
// document types each tariff kind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { recordReading, type TouRegisters } from '../../src/ledger/consumption.js';

let fk: TestDaemon;
const UTC8 = 480;
const local = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h) - UTC8 * 60_000;

beforeAll(async () => {
  fk = await startTestDaemon({
    http: { rateLimit: { max: 0 } },
    buses: [{ id: 'line-1', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 2400 }],
  });
  const ladder = { kind: 'tiered', period: 'month', steps: [{ upToKwh: 200, pricePerKwh: '0.588' }, { upToKwh: 450, pricePerKwh: '0.638' }, { pricePerKwh: '0.888' }] };
  expect((await fk.api('POST', '/v1/tariffs', { body: { id: 'monthly', name: 'monthly ladder', definition: ladder } })).status).toBe(201);
  const tou = { kind: 'tou', prices: { peak: '1', flat: '0.5', valley: '0.25' }, bands: [{ band: 'valley', from: '23:00', to: '07:00' }, { band: 'peak', from: '08:00', to: '22:00' }] };
  expect((await fk.api('POST', '/v1/tariffs', { body: { id: 'tou', name: 'tou', definition: tou } })).status).toBe(201);
  for (const [id, tariffId] of [['acc-l', 'monthly'], ['acc-t', 'tou']]) {
    expect((await fk.api('POST', '/v1/accounts', { body: { id, name: id, tariffId } })).status).toBe(201);
  }
  for (const [id, accountId, address] of [['m-l', 'acc-l', '000000000001'], ['m-t', 'acc-t', '000000000002']]) {
    expect((await fk.api('POST', '/v1/meters', { body: { id, accountId, protocol: 'dlt645', busId: 'line-1', address } })).status).toBe(201);
  }
});
afterAll(async () => fk?.stop());

function read(meterId: string, ts: number, energyWh: number, tou?: TouRegisters) {
  const { repos } = fk.daemon;
  repos.transaction(() => recordReading(repos, { meterId, ts, energyWh, tou }, ts, UTC8));
}

describe('the ledger API', () => {
  it('shows a consumption entry\'s interval and breakdown', async () => {
    read('m-l', local(2026, 3, 31, 12), 1_000_000);
    read('m-l', local(2026, 4, 1, 12), 1_024_000); // 24 kWh across the reset: 12 kWh in March, 12 in April
    const { entries } = (await fk.api('GET', '/v1/accounts/acc-l/ledger', { role: 'read-only' })).body;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      kind: 'consumption', amountFen: -1412, energyWh: 24_000,
      interval: { from: '2026-03-31T12:00:00.000+08:00', to: '2026-04-01T12:00:00.000+08:00' },
      breakdown: [
        { periodStart: '2026-03-01T00:00:00.000+08:00', periodEnd: '2026-04-01T00:00:00.000+08:00', tariffId: 'monthly', tier: 1, pricePerKwh: '0.588', energyWh: 12_000, amountFen: -706, basis: 'estimated' },
        { periodStart: '2026-04-01T00:00:00.000+08:00', periodEnd: '2026-05-01T00:00:00.000+08:00', tariffId: 'monthly', tier: 1, pricePerKwh: '0.588', energyWh: 12_000, amountFen: -706, basis: 'estimated' },
      ],
    });
  });

  it('writes an entry even when it rounds to 0 fen, so the energy reconciles', async () => {
    read('m-l', local(2026, 4, 1, 13), 1_024_001); // 1 Wh × 0.588 = 0.0588 fen
    const { entries } = (await fk.api('GET', '/v1/accounts/acc-l/ledger?order=desc&limit=1', { role: 'read-only' })).body;
    expect(entries[0]).toMatchObject({ amountFen: 0, energyWh: 1, breakdown: [{ tier: 1, energyWh: 1, amountFen: 0, basis: 'measured' }] });
  });
});

describe('GET /v1/accounts/{id}/energy-reconciliation', () => {
  it('compares metered and charged energy per charging period', async () => {
    const res = await fk.api('GET', '/v1/accounts/acc-l/energy-reconciliation', { role: 'billing' });
    expect(res.status).toBe(200);
    expect(res.body.periods).toEqual([
      { meterId: 'm-l', tariffId: 'monthly', periodStart: '2026-03-01T00:00:00.000+08:00', periodEnd: '2026-04-01T00:00:00.000+08:00', meteredWh: 12_000, chargedWh: 12_000, differenceWh: 0 },
      { meterId: 'm-l', tariffId: 'monthly', periodStart: '2026-04-01T00:00:00.000+08:00', periodEnd: '2026-05-01T00:00:00.000+08:00', meteredWh: 12_001, chargedWh: 12_001, differenceWh: 0 },
    ]);
    expect(res.body.meters).toEqual([{ meterId: 'm-l', meteredWh: 24_001, ledgerWh: 24_001, unattributedWh: 0, differenceWh: 0 }]);
    expect(res.body.totals).toEqual({ meteredWh: 24_001, chargedWh: 24_001, differenceWh: 0 });
    const april = await fk.api('GET', `/v1/accounts/acc-l/energy-reconciliation?from=${encodeURIComponent('2026-04-01T00:00:00+08:00')}`, { role: 'billing' });
    expect(april.body.periods.map((p: { periodStart: string }) => p.periodStart)).toEqual(['2026-04-01T00:00:00.000+08:00']);
  });

  it('shows a difference where the ledger and the register disagree', async () => {
    // Energy charged outside the rules (an entry written by hand) shows as a difference of that period.
    const { repos } = fk.daemon;
    const account = repos.accounts.get('acc-l')!;
    const { applyEntryTo } = await import('../../src/ledger/ledger.js');
    repos.transaction(() => applyEntryTo(repos, account, {
      accountId: 'acc-l', kind: 'consumption', amountFen: -1, actor: 'meter', at: local(2026, 4, 2), meterId: 'm-l', energyWh: 5,
      breakdown: JSON.stringify([{ periodStart: local(2026, 4, 1), periodEnd: local(2026, 5, 1), tariffId: 'monthly', tier: 1, pricePerKwh: '0.588', energyWh: 5, amountFen: -1, basis: 'measured' }]),
    }));
    const res = await fk.api('GET', '/v1/accounts/acc-l/energy-reconciliation', { role: 'read-only' });
    expect(res.body.periods[1]).toMatchObject({ meteredWh: 12_001, chargedWh: 12_006, differenceWh: 5 });
    expect(res.body.meters[0]).toMatchObject({ differenceWh: 5 });
  });

  it('404 for an unknown account', async () => {
    expect((await fk.api('GET', '/v1/accounts/nope/energy-reconciliation', { role: 'read-only' })).status).toBe(404);
  });
});

describe('register mismatch on the meter', () => {
  it('is shown on the meter and raises register-mismatch', async () => {
    const at = local(2026, 11, 23, 12);
    read('m-t', at, 100_000, { peakWh: 40_000, flatWh: 30_000, valleyWh: 30_000 });
    expect((await fk.api('GET', '/v1/meters/m-t', { role: 'read-only' })).body.registerMismatch).toBeNull();
    read('m-t', at + 3_600_000, 110_000, { peakWh: 43_000, flatWh: 30_000, valleyWh: 32_000 }); // bands 5 kWh, total 10 kWh
    const meter = (await fk.api('GET', '/v1/meters/m-t', { role: 'read-only' })).body;
    expect(meter.registerMismatch).toEqual({
      from: '2026-11-23T12:00:00.000+08:00', to: '2026-11-23T13:00:00.000+08:00', totalWh: 10_000, bandsWh: 5000, differenceWh: -5000, toleranceWh: 100,
    });
    const events = (await fk.api('GET', '/v1/events?type=register-mismatch', { role: 'read-only' })).body;
    expect(JSON.stringify(events)).toContain('register-mismatch');
  });
});

describe('the OpenAPI document', () => {
  it('types each tariff kind', async () => {
    const doc = (await fk.api('GET', '/docs/json', { role: null })).body;
    const text = JSON.stringify(doc);
    for (const title of ['FlatTariff', 'TieredTariff', 'TouTariff']) expect(text).toContain(`"title":"${title}"`);
    const body = doc.paths['/v1/tariffs'].post.requestBody.content['application/json'].schema;
    const kinds = (body.properties.definition.anyOf as Array<{ properties: { kind: { enum?: string[]; const?: string } } }>)
      .map((s) => s.properties.kind.const ?? s.properties.kind.enum?.[0]);
    expect(kinds).toEqual(['flat', 'tiered', 'tou']);
    expect(doc.paths['/v1/accounts/{id}/energy-reconciliation'].get).toBeDefined();
  });
});
