// 0x1C credentials per bus and per meter: the frame carries the bus's password level, password
// and operator code, or the meter's own where it has them; the API never shows them (only that a
// meter has its own) and the audit trail records only that they were set or changed.
import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair } from '../../simulators/pty.js';
import { startDlt645Bus } from '../../simulators/dlt645/index.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address } from './helpers.js';
import { TEST_POLLING } from './daemon-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const BUS_METER = address(21);
const OWN_METER = address(22);

describe('0x1C credentials', () => {
  it('sends the bus\'s or the meter\'s own, and never shows or audits them', async () => {
    const pty = cleanup.add(await createPtyPair(), (p) => p.close());
    const sim = cleanup.add(await startDlt645Bus({
      transport: { kind: 'serial', path: pty.a }, baudRate: 38_400, responseDelayMs: 20,
      meters: [{ address: BUS_METER, password: '123456' }, { address: OWN_METER, password: 'A1B2C3' }],
    }), (s) => s.close());
    const fk = cleanup.add(await startTestDaemon({
      buses: [{ id: 'line-1', kind: 'serial', path: pty.b, baudRate: 38_400, dlt645: { passwordLevel: 4, password: '123456', operatorCode: '0000ABCD' } }],
      polling: TEST_POLLING, engine: { sweepIntervalMs: 3_600_000, confirmIntervalMs: 100, refusalBackoffMs: 50 },
    }), (d) => d.stop());
    await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Sun Li' } });
    expect((await fk.api('POST', '/v1/meters', { body: { id: 'm-bus', accountId: 'acc-1', protocol: 'dlt645', busId: 'line-1', address: BUS_METER } })).status).toBe(201);
    const own = await fk.api('POST', '/v1/meters', {
      body: { id: 'm-own', accountId: 'acc-1', protocol: 'dlt645', busId: 'line-1', address: OWN_METER, passwordLevel: 2, password: 'a1b2c3', operatorCode: '12345678' },
    });
    expect(own.status).toBe(201);
    expect(own.body.ownCredentials).toBe(true);
    for (const [id, meterAddress, pa, operator] of [['m-bus', BUS_METER, 4, '0000ABCD'], ['m-own', OWN_METER, 2, '12345678']] as const) {
      await eventually(async () => expect((await fk.api('GET', `/v1/meters/${id}`)).body.relayState).toBe('closed'), 20_000);
      const cmd = await fk.api('POST', `/v1/meters/${id}/commands`, { role: 'operator', body: { action: 'disconnect', reason: 'credentials check' } });
      await eventually(async () => expect((await fk.api('GET', `/v1/commands/${cmd.body.id}`, { role: 'operator' })).body.state).toBe('confirmed'), 20_000);
      expect(sim.meter(meterAddress).controls.map((c) => [c.action, c.pa, c.operator, c.outcome])).toEqual([['trip', pa, operator, 'ok']]);
    }
    // A wrong password is refused by the meter as unauthorised.
    expect((await fk.api('PATCH', '/v1/meters/m-own', { body: { password: '000000' } })).status).toBe(200);
    const bad = await fk.api('POST', '/v1/meters/m-own/commands', { role: 'operator', body: { action: 'reconnect', reason: 'credentials check' } });
    await eventually(async () => expect((await fk.api('GET', `/v1/commands/${bad.body.id}`, { role: 'operator' })).body).toMatchObject({ state: 'refused', outcome: 'unauthorised' }), 60_000);

    // Never shown, never audited.
    const shown = JSON.stringify([(await fk.api('GET', '/v1/meters/m-own')).body, (await fk.api('GET', '/v1/meters')).body, (await fk.api('GET', '/v1/accounts/acc-1')).body]);
    const audit = JSON.stringify((await fk.api('GET', '/v1/audit?target=m-own')).body);
    for (const secret of ['A1B2C3', 'a1b2c3', '12345678']) {
      expect(shown).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
    expect(audit).toContain('(set)');
    expect(audit).toContain('(changed)');
  }, 120_000);
});
