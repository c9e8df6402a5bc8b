// The core loop over real bytes: a DL/T 645 prepaid meter simulator on one end of a pseudo-
// terminal pair, the daemon polling it on the other end. Consumption drains the balance; the
// engine trips the relay (0x1C N1=1A) and confirms it by reading status word 3; a payment lifts
// the balance and the engine closes the relay (N1=1C), again confirmed by read-back.
import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair } from '../../simulators/pty.js';
import { startDlt645Bus, type SimBus } from '../../simulators/dlt645/bus.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';

const ADDRESS = '000000000001';

describe('prepaid loop over a pseudo-terminal', () => {
  let pty: PtyPair | undefined;
  let sim: SimBus | undefined;
  let fk: TestDaemon | undefined;

  afterEach(async () => {
    await fk?.stop();
    await sim?.close();
    await pty?.close();
    fk = sim = pty = undefined;
  });

  it('cuts off at zero balance and restores after a payment, each confirmed by read-back', async () => {
    pty = await createPtyPair();
    // 60 kW at 20 yuan/kWh costs about 33 fen a second: a 60-fen account runs out in seconds.
    sim = await startDlt645Bus({
      transport: { kind: 'serial', path: pty.a }, baudRate: 9600, responseDelayMs: 20,
      meters: [{ address: ADDRESS, energyWh: 1_234_560, loadW: 60_000 }],
    });
    fk = await startTestDaemon({
      buses: [{ id: 'line-1', kind: 'serial', path: pty.b, baudRate: 9600 }],
      polling: { intervalMs: 250 },
      engine: { sweepIntervalMs: 500, graceMs: 0, confirmIntervalMs: 100, noCut: { nights: false, weekends: false, holidays: false } },
    });
    const simMeter = sim.meter(ADDRESS);

    let res = await fk.api('POST', '/v1/accounts', {
      body: { id: 'acc-1', name: 'Wang Fang', pricePerKwh: '20', alarmLevel1Fen: 50, alarmLevel2Fen: 30, cutoffLevelFen: 0, restoreLevelFen: 0 },
    });
    expect(res.status).toBe(201);
    res = await fk.api('POST', '/v1/meters', { body: { id: 'm-1', accountId: 'acc-1', protocol: 'dlt645', busId: 'line-1', address: ADDRESS } });
    expect(res.status).toBe(201);
    res = await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-1', channel: 'counter', channelTxnId: 'open-1', amountFen: 60 } });
    expect(res.status).toBe(201);

    // Cut-off: the simulator's relay opens, and the daemon confirmed it by reading it back.
    await eventually(() => expect(simMeter.relayStatus().relayOpen).toBe(true), 20_000);
    const afterCut = await eventually(async () => {
      const r = await fk!.api('GET', '/v1/meters/m-1/commands', { role: 'operator' });
      expect(r.body.commands[0]).toMatchObject({ action: 'disconnect', state: 'confirmed', origin: 'engine' });
      return r.body.commands;
    }, 10_000);
    expect(afterCut).toHaveLength(1);
    expect(simMeter.controls.map((c) => c.action)).toEqual(['trip']);
    let account = (await fk.api('GET', '/v1/accounts/acc-1', { role: 'billing' })).body;
    expect(account.balanceFen).toBeLessThanOrEqual(0);
    expect(account.meters[0].relayState).toBe('open');
    expect(account.alarmState).toBe(2);

    // Energy stops while the relay is open: the balance holds still.
    const frozen = account.balanceFen;
    await new Promise((r) => setTimeout(r, 600));
    account = (await fk.api('GET', '/v1/accounts/acc-1', { role: 'billing' })).body;
    expect(account.balanceFen).toBe(frozen);

    // Restore: a payment lifts the balance above the restore level; the relay closes.
    res = await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-1', channel: 'wechat', channelTxnId: 'wx-42', amountFen: 100_000 } });
    expect(res.status).toBe(201);
    expect(res.body.balanceFen).toBe(frozen + 100_000);
    await eventually(() => expect(simMeter.relayStatus().relayOpen).toBe(false), 10_000);
    const commands = await eventually(async () => {
      const r = await fk!.api('GET', '/v1/meters/m-1/commands', { role: 'operator' });
      expect(r.body.commands[0]).toMatchObject({ action: 'reconnect', state: 'confirmed', outcome: 'confirmed' });
      return r.body.commands;
    }, 10_000);
    expect(commands.map((c: { action: string }) => c.action)).toEqual(['reconnect', 'disconnect']);
    expect(simMeter.controls.map((c) => c.action)).toEqual(['trip', 'directClose']);

    // The same payment again credits nothing and answers with the original.
    const repeat = await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: 'acc-1', channel: 'wechat', channelTxnId: 'wx-42', amountFen: 100_000 } });
    expect(repeat.status).toBe(200);
    expect(repeat.body.created).toBe(false);
    expect(repeat.body.payment.id).toBe(res.body.payment.id);

    // An operator's on-demand read goes ahead of the schedule and returns the meter's own values.
    const read = await fk.api('POST', '/v1/meters/m-1/read', { role: 'operator' });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ meterId: 'm-1', busId: 'line-1', relay: 'closed' });
    expect(Math.abs(read.body.energyWh - simMeter.energyWh)).toBeLessThan(1000);

    // The cached balance equals the sum of the ledger.
    account = (await fk.api('GET', '/v1/accounts/acc-1', { role: 'billing' })).body;
    expect(fk.daemon.repos.ledger.invariantViolations()).toEqual([]);
    expect(account.meters[0].relayState).toBe('closed');
    expect(account.meters[0].lastEnergyWh).toBeGreaterThan(1_234_560);
  });
});
