// Operator overrides over a simulated DL/T 645 bus: a manual-off hold keeps supply off whatever the
// balance until released; an operator's disconnect stands until the customer pays again; bulk
// disconnect with per-meter results and the skips explained; cancelling a bulk operation; the
// audit trail of all of it; and the engine's dry run, which changes nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { behaviours } from '../../simulators/dlt645/behaviours.js';
import { FunctionCode } from '../../protocols/dlt645/index.js';
import { eventually } from '../helpers/eventually.js';
import { controlsOf, startScenario, type Scenario } from '../engine/scenario.js';

const RICH = { alarmLevel1Fen: 100, alarmLevel2Fen: 50, cutoffLevelFen: 20, restoreLevelFen: 20 };
const M = ['000000000501', '000000000502', '000000000503', '000000000504', '000000000505', '000000000506'];

describe('engine: operator overrides', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('manual-off holds, operator disconnects, bulk commands, audit and dry run', async () => {
    s = await startScenario({ at: '2026-11-25T10:00:00+08:00', meters: M.map((address) => ({ address })), engine: { graceMs: 3_600_000, commandsPerLink: 1 } });
    const { fk, sim } = s;
    const ids: string[] = [];
    for (const [i, address] of M.entries()) ids.push(await s.supplyPoint(`acc-${i}`, address, { ...RICH, protected: i === 3 }));
    for (const m of ids) await eventually(async () => expect((await fk.api('GET', `/v1/meters/${m}`)).body.relayState).toBe('closed'));
    const [held, byOperator, warned, prot, rich] = ids as [string, string, string, string, string, string];
    await s.pay('acc-0', 5000, 'p0');
    await s.pay('acc-1', 5000, 'p1');
    await s.pay('acc-2', 10, 'p2'); // warned and in arrears, but the grace period (1 h) holds the engine back
    await s.pay('acc-3', 10, 'p3');
    await s.pay('acc-4', 5000, 'p4');
    await s.pay('acc-5', 10, 'p5');

    // Manual-off: supply goes off although the account has money, and comes back on release.
    const hold = await fk.api('POST', '/v1/holds', { role: 'operator', body: { kind: 'manual-off', scope: 'account', targetIds: ['acc-0'], reason: 'unsafe wiring reported' } });
    expect(hold.status).toBe(201);
    await eventually(() => expect(controlsOf(sim, M[0]!)).toEqual(['trip:ok']));
    await eventually(async () => expect((await fk.api('GET', `/v1/meters/${held}/why`, { role: 'operator' })).body).toMatchObject({ rule: 'manual-off-hold', desired: 'open', relay: { state: 'open' } }));
    const clash = await fk.api('POST', '/v1/holds', { role: 'operator', body: { kind: 'keep-power', scope: 'meter', targetId: held, reason: 'conflicting' } });
    expect(clash.status).toBe(409);
    expect((await fk.api('POST', `/v1/meters/${held}/commands`, { role: 'operator', body: { action: 'reconnect', reason: 'try' } })).status).toBe(409);
    expect((await fk.api('DELETE', `/v1/holds/${hold.body.holds[0].id}`, { role: 'operator' })).status).toBe(200);
    await eventually(() => expect(controlsOf(sim, M[0]!)).toEqual(['trip:ok', 'directClose:ok']));

    // An operator's disconnect of an account with money stands; the next payment restores it.
    expect((await fk.api('POST', `/v1/meters/${byOperator}/commands`, { role: 'operator', body: { action: 'disconnect', reason: 'customer moved out' } })).status).toBe(202);
    await eventually(async () => expect((await fk.api('GET', `/v1/meters/${byOperator}`)).body.relayState).toBe('open'));
    for (let i = 0; i < 2; i++) await fk.daemon.engine.sweep();
    expect((await fk.api('GET', `/v1/meters/${byOperator}/why`, { role: 'operator' })).body).toMatchObject({ rule: 'operator-override', action: 'none' });
    await s.pay('acc-1', 100, 'p1-again');
    await eventually(() => expect(controlsOf(sim, M[1]!)).toEqual(['trip:ok', 'directClose:ok']));

    // Dry run: the warned account would not be cut now (grace), but would be in two hours; nothing changes.
    const commandsBefore = (await fk.api('GET', `/v1/meters/${warned}/commands`, { role: 'operator' })).body.commands.length;
    const now = (await fk.api('GET', '/v1/engine/dry-run', { role: 'read-only' })).body;
    expect(now.cut).toEqual([]);
    expect(now.heldBack['in-grace']).toBeGreaterThanOrEqual(2);
    const later = new Date(s.clock.now() + 2 * 3_600_000).toISOString();
    const then = (await fk.api('GET', `/v1/engine/dry-run?at=${encodeURIComponent(later)}`, { role: 'read-only' })).body;
    expect(then.cut.map((c: any) => c.meterId).sort()).toEqual([warned, ids[5]].sort());
    expect(then.review.map((c: any) => c.meterId)).toEqual([prot]);
    expect((await fk.api('GET', `/v1/meters/${warned}/commands`, { role: 'operator' })).body.commands).toHaveLength(commandsBefore);
    expect((await fk.api('GET', '/v1/reviews?kind=protected-arrears', { role: 'operator' })).body.items).toEqual([]);

    // Bulk disconnect: the warned account goes; the protected, the unwarned and an unknown meter are skipped with why.
    const bulk = await fk.api('POST', '/v1/bulk-commands', {
      role: 'operator', body: { action: 'disconnect', reason: 'arrears campaign', meterIds: [warned, prot, rich, 'm-nope'] },
    });
    expect(bulk.status).toBe(202);
    expect(bulk.body).toMatchObject({ action: 'disconnect', total: 1, state: 'running' });
    const skipped = Object.fromEntries(bulk.body.skipped.map((k: any) => [k.meterId, k.skipped]));
    expect(skipped[prot]).toMatch(/protected/);
    expect(skipped[rich]).toMatch(/not warned/);
    expect(skipped['m-nope']).toMatch(/does not exist/);
    await eventually(async () => {
      const b = (await fk.api('GET', `/v1/bulk-commands/${bulk.body.id}`, { role: 'read-only' })).body;
      expect(b).toMatchObject({ state: 'finished', progress: { confirmed: 1, skipped: 3 } });
      expect(b.results).toEqual([expect.objectContaining({ meterId: warned, state: 'confirmed' })]);
    });

    // Bulk reconnect by filter, cancelled while the first command is on the wire: the one still
    // queued behind it (one command at a time on this bus) never reaches its meter.
    expect((await fk.api('POST', `/v1/meters/${rich}/commands`, { role: 'operator', body: { action: 'disconnect', reason: 'meter test' } })).status).toBe(202);
    await eventually(async () => expect((await fk.api('GET', `/v1/meters/${rich}`)).body.relayState).toBe('open'));
    sim.meter(M[2]!).addBehaviour(behaviours.fixedDelay({ delayMs: 400, when: behaviours.forFunction(FunctionCode.Control) }));
    const all = await fk.api('POST', '/v1/bulk-commands', { role: 'operator', body: { action: 'reconnect', reason: 'campaign called off', filter: { busId: 'dtu-1' } } });
    expect(all.status).toBe(202);
    expect(all.body.total).toBe(2);
    const cancelled = await fk.api('POST', `/v1/bulk-commands/${all.body.id}/cancel`, { role: 'operator', body: { reason: 'wrong list' } });
    expect(cancelled.status).toBe(200);
    const final = await eventually(async () => {
      const b = (await fk.api('GET', `/v1/bulk-commands/${all.body.id}`, { role: 'read-only' })).body;
      expect(b.progress.queued + b.progress.sent).toBe(0);
      return b;
    });
    expect(final.state).toBe('cancelled');
    expect(final.results).toEqual([
      expect.objectContaining({ meterId: warned, state: 'confirmed' }),
      expect.objectContaining({ meterId: rich, state: 'cancelled' }),
    ]);
    // The cancelled reconnect does not lift the operator's disconnect either: the engine leaves it off.
    for (let i = 0; i < 2; i++) await fk.daemon.engine.sweep();
    expect(controlsOf(sim, M[4]!)).toEqual(['trip:ok']);
    expect((await fk.api('GET', `/v1/meters/${rich}/why`, { role: 'operator' })).body.rule).toBe('operator-override');

    // The audit trail, by target and by actor, paged.
    const trail = (await fk.api('GET', `/v1/audit?target=${held}&limit=100`, { role: 'read-only' })).body.entries;
    const actions = trail.map((e: any) => `${e.actor} ${e.action}`);
    expect(actions).toEqual(expect.arrayContaining(['engine command-disconnect', 'feikong command-confirmed', 'key:test-operator command-reconnect']));
    const holdTrail = (await fk.api('GET', '/v1/audit?target=acc-0', { role: 'admin' })).body.entries.map((e: any) => e.action);
    expect(holdTrail).toEqual(expect.arrayContaining(['hold-placed', 'hold-released']));
    const page1 = await fk.api('GET', '/v1/audit?actor=key:test-operator&limit=2', { role: 'read-only' });
    expect(page1.body.entries).toHaveLength(2);
    const page2 = await fk.api('GET', `/v1/audit?actor=key:test-operator&limit=2&after=${page1.body.next}`, { role: 'read-only' });
    expect(page2.body.entries[0].id).toBeLessThan(page1.body.entries[1].id);
    expect((await fk.api('GET', '/v1/audit', { role: 'operator' })).status).toBe(403);
  });
});
