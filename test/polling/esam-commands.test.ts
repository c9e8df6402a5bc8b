// The daemon commanding ESAM meters (security mode 'esam' on the bus, the software security
// module) on a pseudo-terminal: cut-off and restore through authentication, confirmed by
// read-back; a meter whose ESAM holds other keys refuses identity authentication, and the
// command ends refused with its own outcome, never confirmed, with a review; the meter's own key
// version (PUT /v1/meters/{id}/security) then lets it through; a key version the module lacks is
// an outcome of its own too.
import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair } from '../../simulators/pty.js';
import { startDlt645Bus } from '../../simulators/dlt645/index.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address } from './helpers.js';
import { TEST_POLLING } from './daemon-helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const GOOD = address(31);
const OTHER_KEYS = address(32);

describe('ESAM meters under the daemon', () => {
  it('cuts off and restores through authentication; a wrong key is its own outcome, never confirmed', async () => {
    const pty = cleanup.add(await createPtyPair(), (p) => p.close());
    const sim = cleanup.add(await startDlt645Bus({
      transport: { kind: 'serial', path: pty.a }, baudRate: 38_400, responseDelayMs: 20,
      meters: [{ address: GOOD, esam: { keyVersion: 1 } }, { address: OTHER_KEYS, esam: { keyVersion: 2 } }],
    }), (s) => s.close());
    const fk = cleanup.add(await startTestDaemon({
      buses: [{ id: 'line-1', kind: 'serial', path: pty.b, baudRate: 38_400, dlt645: { operatorCode: '0000ABCD', security: { mode: 'esam', keyVersion: 1 } } }],
      polling: TEST_POLLING, engine: { sweepIntervalMs: 3_600_000, confirmIntervalMs: 100, refusalBackoffMs: 50 },
      security: { module: 'software' },
    }), (d) => d.stop());
    await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Zhou Min' } });
    for (const [id, meterAddress] of [['m-good', GOOD], ['m-other', OTHER_KEYS]] as const) {
      expect((await fk.api('POST', '/v1/meters', { body: { id, accountId: 'acc-1', protocol: 'dlt645', busId: 'line-1', address: meterAddress } })).status).toBe(201);
      await eventually(async () => expect((await fk.api('GET', `/v1/meters/${id}`)).body.relayState).toBe('closed'), 20_000);
    }
    expect((await fk.api('GET', '/v1/meters/m-good/security', { role: 'operator' })).body).toEqual({ mode: 'esam', keyVersion: 1, source: 'bus' });

    const command = async (id: string, action: 'disconnect' | 'reconnect') => {
      const created = await fk.api('POST', `/v1/meters/${id}/commands`, { role: 'operator', body: { action, reason: 'ESAM check' } });
      expect(created.status).toBe(202);
      return created.body.id as string;
    };
    const stateOf = async (commandId: string) => (await fk.api('GET', `/v1/commands/${commandId}`, { role: 'operator' })).body;

    // cut-off and restore, each authenticated, encrypted and confirmed by status word 3
    const cut = await command('m-good', 'disconnect');
    await eventually(async () => expect((await stateOf(cut)).state).toBe('confirmed'), 20_000);
    const restore = await command('m-good', 'reconnect');
    await eventually(async () => expect((await stateOf(restore)).state).toBe('confirmed'), 20_000);
    expect(sim.meter(GOOD).controls.map((c) => [c.action, c.pa, c.operator, c.outcome])).toEqual([
      ['trip', 0x98, '0000ABCD', 'ok'],
      ['directClose', 0x98, '0000ABCD', 'ok'],
    ]);
    expect(sim.meter(GOOD).esam?.records.filter((r) => r.op === 'authenticate').map((r) => r.outcome)).toEqual(['ok', 'ok']);

    // the other meter's ESAM holds key version 2: refused at authentication, at once, never confirmed
    const refused = await command('m-other', 'disconnect');
    await eventually(async () => expect(await stateOf(refused)).toMatchObject({ state: 'refused', outcome: 'authentication-failed' }), 20_000);
    expect((await stateOf(refused)).lastError).toContain('key version 1');
    expect(sim.meter(OTHER_KEYS).controls).toEqual([]);
    expect(sim.meter(OTHER_KEYS).esam?.records.map((r) => r.outcome)).toEqual(['identity-authentication']); // not retried blindly
    expect(sim.meter(OTHER_KEYS).relayStatus().relayOpen).toBe(false);
    const reviews = (await fk.api('GET', '/v1/reviews?meterId=m-other', { role: 'operator' })).body;
    expect(reviews.items).toMatchObject([{ kind: 'command-refused', meterId: 'm-other', reason: expect.stringContaining('refused identity authentication under key version 1') }]);

    // the meter's own key version: now it switches
    expect((await fk.api('PUT', '/v1/meters/m-other/security', { body: { mode: 'esam', keyVersion: 2 } })).body).toEqual({ mode: 'esam', keyVersion: 2, source: 'meter' });
    const again = await command('m-other', 'disconnect');
    await eventually(async () => expect((await stateOf(again)).state).toBe('confirmed'), 20_000);
    expect(sim.meter(OTHER_KEYS).controls.map((c) => [c.action, c.pa, c.outcome])).toEqual([['trip', 0x98, 'ok']]);

    // a key version the security module has no keys for
    expect((await fk.api('PUT', '/v1/meters/m-other/security', { body: { mode: 'esam', keyVersion: 42 } })).status).toBe(200);
    const unknown = await command('m-other', 'reconnect');
    await eventually(async () => expect(await stateOf(unknown)).toMatchObject({ state: 'refused', outcome: 'key-version' }), 20_000);
    const audit = JSON.stringify((await fk.api('GET', '/v1/audit?target=m-other')).body);
    expect(audit).toContain('meter-security-set');
  }, 120_000);
});
