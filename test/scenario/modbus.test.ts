// Modbus meters in the real daemon, over real bytes: a Modbus TCP endpoint (simulated with
// modbus-serial's ServerTCP), Modbus RTU meters on a pseudo-terminal, one RS-485 line carrying a
// DL/T 645 meter and Modbus RTU meters together, and a meter served by an independent
// implementation (Debian's pymodbus) read through a shipped real register map. Accounts and meters
// are created through the HTTP API; consumption is charged; operator commands switch relays and
// are confirmed only by reading the relay back.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startModbusRtuLine, startModbusTcpServer, type SimModbusLine, type SimModbusTcpServer } from '../../simulators/modbus/index.js';
import { RegisterMaps, registerMapsDirectory } from '../../src/registermaps.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';

const maps = RegisterMaps.load(registerMapsDirectory(undefined));
const FAST = {
  polling: { intervalMs: 250, retries: 1 },
  modbus: { responseTimeoutMs: 300 },
  engine: { sweepIntervalMs: 500, graceMs: 0, confirmIntervalMs: 100, noCut: { nights: false, weekends: false, holidays: false } },
};
/** 20 yuan/kWh is 2 fen a Wh exactly, so the charge of any consumption is known to the fen. */
const PRICE = '20';
const FEN_PER_WH = 2;
const OPENING_FEN = 1_000_000;

const stops: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function daemon(overrides: Record<string, unknown>): Promise<TestDaemon> {
  const fk = await startTestDaemon({ ...FAST, ...overrides });
  stops.push(() => fk.stop());
  return fk;
}

/** An account with an opening payment, and its meter, through the API. */
async function enrol(fk: TestDaemon, account: string, meter: Record<string, unknown>): Promise<void> {
  let res = await fk.api('POST', '/v1/accounts', { body: { id: account, name: `Customer ${account}`, pricePerKwh: PRICE } });
  expect(res.status).toBe(201);
  res = await fk.api('POST', '/v1/meters', { body: { accountId: account, ...meter } });
  expect(res.body).toMatchObject({ id: meter.id, protocol: meter.protocol });
  expect(res.status).toBe(201);
  res = await fk.api('POST', '/v1/payments', { role: 'billing', body: { accountId: account, channel: 'counter', channelTxnId: `open-${account}`, amountFen: OPENING_FEN } });
  expect(res.status).toBe(201);
}

/** Consumption has been read and charged: the balance is the opening payment less 2 fen a Wh read since the first reading. */
async function expectCharged(fk: TestDaemon, account: string, meterId: string, aboveWh: number): Promise<void> {
  await eventually(async () => {
    const row = fk.daemon.repos.meters.get(meterId)!;
    expect(row.lastEnergyWh).toBeGreaterThan(aboveWh);
    expect(row.chargedEnergyWh).toBeGreaterThan(row.chargeBaseWh!);
    const balance = (await fk.api('GET', `/v1/accounts/${account}`, { role: 'billing' })).body.balanceFen;
    const charged = fk.daemon.repos.meters.get(meterId)!;
    expect(balance).toBe(OPENING_FEN - FEN_PER_WH * (charged.chargedEnergyWh! - charged.chargeBaseWh!));
  }, 15_000);
  expect(fk.daemon.repos.ledger.invariantViolations()).toEqual([]);
}

/** An operator command, and its confirmation by read-back. */
async function operate(fk: TestDaemon, meterId: string, action: 'disconnect' | 'reconnect'): Promise<Record<string, unknown>> {
  const res = await fk.api('POST', `/v1/meters/${meterId}/commands`, { role: 'operator', body: { action, reason: `scenario: ${action} by hand` } });
  expect(res.status).toBe(202);
  return eventually(async () => {
    const command = (await fk.api('GET', `/v1/commands/${res.body.id}`, { role: 'operator' })).body;
    expect(command).toMatchObject({ action, state: 'confirmed', outcome: 'confirmed', origin: 'operator' });
    return command;
  }, 15_000);
}

describe('Modbus meters in the daemon', () => {
  it('polls, charges and switches a Modbus TCP meter, confirmed by read-back', async () => {
    const sim: SimModbusTcpServer = await startModbusTcpServer({ meters: [{ unit: 1, map: maps.get('generic'), energyWh: 1_234_560, loadW: 36_000 }] });
    stops.push(() => sim.close());
    const fk = await daemon({ buses: [{ id: 'mtcp-1', kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port }] });
    await enrol(fk, 'acc-t', { id: 'm-t', protocol: 'modbus-tcp', busId: 'mtcp-1', address: '1', registerMap: 'generic' });
    await expectCharged(fk, 'acc-t', 'm-t', 1_234_560);

    await operate(fk, 'm-t', 'disconnect');
    expect(sim.meter(1).relayState).toBe('open');
    expect(sim.meter(1).relayWrites.map((w) => [w.action, w.function])).toEqual([['open', 'writeSingleCoil']]);
    await eventually(async () => expect((await fk.api('GET', '/v1/meters/m-t', { role: 'operator' })).body.relayState).toBe('open'));

    await operate(fk, 'm-t', 'reconnect');
    expect(sim.meter(1).relayState).toBe('closed');
    expect(sim.meter(1).relayWrites.map((w) => w.action)).toEqual(['open', 'close']);
  });

  it('polls, charges and switches Modbus RTU meters on a pseudo-terminal, by their register maps', async () => {
    const sim: SimModbusLine = await startModbusRtuLine({
      transport: { kind: 'pty' }, baudRate: 9600, responseDelayMs: 5,
      meters: [
        { unit: 5, map: maps.get('hiking-dds238-2-zn-sr'), energyWh: 2_000_000, loadW: 18_000 },
        { unit: 6, map: maps.get('eastron-sdm630'), energyWh: 3_000_000, loadW: 36_000 },
      ],
    });
    stops.push(() => sim.close());
    const fk = await daemon({ buses: [{ id: 'rs485-1', kind: 'serial', path: sim.devicePath!, baudRate: 9600, framing: ['modbus-rtu'] }] });
    await enrol(fk, 'acc-r', { id: 'm-r', protocol: 'modbus-rtu', busId: 'rs485-1', address: '5', registerMap: 'hiking-dds238-2-zn-sr' });
    await enrol(fk, 'acc-s', { id: 'm-s', protocol: 'modbus-rtu', busId: 'rs485-1', address: '6', registerMap: 'eastron-sdm630' });
    await expectCharged(fk, 'acc-r', 'm-r', 2_000_000);
    await expectCharged(fk, 'acc-s', 'm-s', 3_000_000);

    await operate(fk, 'm-r', 'disconnect');
    expect(sim.meter(5).relayWrites.map((w) => [w.action, w.function])).toEqual([['open', 'writeMultipleRegisters']]);
    await operate(fk, 'm-r', 'reconnect');
    expect(sim.meter(5).relayState).toBe('closed');

    // The SDM630 has no relay: the command fails, saying why, and nothing is written to the meter.
    const res = await fk.api('POST', '/v1/meters/m-s/commands', { role: 'operator', body: { action: 'disconnect', reason: 'scenario: no relay' } });
    const failed = await eventually(async () => {
      const command = (await fk.api('GET', `/v1/commands/${res.body.id}`, { role: 'operator' })).body;
      expect(command.state).toBe('failed');
      return command;
    }, 10_000);
    expect(failed).toMatchObject({ outcome: 'refused' });
    expect(failed.lastError).toMatch(/has no relay control/);
    expect(sim.meter(6).relayWrites).toEqual([]);
    expect(sim.stats.collisions).toBe(0);
  });

  it('one RS-485 line carries a DL/T 645 meter and a Modbus RTU meter without collisions', async () => {
    const sim: SimModbusLine = await startModbusRtuLine({
      transport: { kind: 'pty' }, baudRate: 9600, responseDelayMs: 5,
      meters: [{ unit: 1, map: maps.get('generic'), energyWh: 500_000, loadW: 36_000 }],
      dlt645: { meters: [{ address: '000000000001', energyWh: 1_234_560, loadW: 36_000 }], responseDelayMs: 20 },
    });
    stops.push(() => sim.close());
    const fk = await daemon({ buses: [{ id: 'mixed-1', kind: 'serial', path: sim.devicePath!, baudRate: 9600, framing: ['dlt645', 'modbus-rtu'] }] });
    await enrol(fk, 'acc-d', { id: 'm-d', protocol: 'dlt645', busId: 'mixed-1', address: '000000000001' });
    await enrol(fk, 'acc-m', { id: 'm-m', protocol: 'modbus-rtu', busId: 'mixed-1', address: '1', registerMap: 'generic' });
    await expectCharged(fk, 'acc-d', 'm-d', 1_234_560);
    await expectCharged(fk, 'acc-m', 'm-m', 500_000);

    // Commands to both at once: each meter gets its own protocol's command, each is read back.
    await Promise.all([operate(fk, 'm-d', 'disconnect'), operate(fk, 'm-m', 'disconnect')]);
    expect(sim.dlt645!.meter('000000000001').relayStatus().relayOpen).toBe(true);
    expect(sim.meter(1).relayState).toBe('open');
    await Promise.all([operate(fk, 'm-d', 'reconnect'), operate(fk, 'm-m', 'reconnect')]);

    const bus = fk.daemon.buses.get('mixed-1')!;
    expect(sim.stats.collisions).toBe(0);
    expect(bus.stats.checksumFailures).toBe(0);
    expect(bus.stats.timeouts).toBe(0);
    expect(fk.daemon.pollers.get('mixed-1')!.stats.successRatio).toBe(1);
  });

  it('reads and switches a meter served by pymodbus through the Hiking DDS238 register map', async () => {
    const python = pythonWithPymodbus();
    const child: ChildProcess = spawn(python, [fileURLToPath(new URL('../fixtures/modbus-pymodbus-meter.py', import.meta.url)), '7', '123456', '100'], { stdio: ['pipe', 'pipe', 'pipe'] });
    stops.push(() => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.stdin!.end(); // the script exits when its standard input closes
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    }));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`pymodbus meter exited with ${code} before listening`)));
    });
    const fk = await daemon({ buses: [{ id: 'pymodbus-1', kind: 'modbus-tcp', host: '127.0.0.1', port }] });
    await enrol(fk, 'acc-p', { id: 'm-p', protocol: 'modbus-tcp', busId: 'pymodbus-1', address: '7', registerMap: 'hiking-dds238-2-zn-sr' });
    // 123456 counts of 0.01 kWh: 1 234 560 Wh, advancing by 10 Wh a tick while the relay is on.
    await eventually(() => expect(fk.daemon.repos.meters.get('m-p')!.chargeBaseWh).toBeGreaterThanOrEqual(1_234_560), 15_000);
    expect(fk.daemon.repos.meters.get('m-p')!.chargeBaseWh! % 10).toBe(0);
    await expectCharged(fk, 'acc-p', 'm-p', 1_234_560);

    await operate(fk, 'm-p', 'disconnect');
    // Relay off: pymodbus's meter stops counting, and the daemon's readings settle on one value.
    const settled = await eventually(async () => {
      const first = fk.daemon.repos.meters.get('m-p')!.lastEnergyWh!;
      await eventually(() => expect(fk.daemon.pollers.get('pymodbus-1')!.stats.cycles).toBeGreaterThan(0));
      const cycles = fk.daemon.pollers.get('pymodbus-1')!.stats.cycles;
      await eventually(() => expect(fk.daemon.pollers.get('pymodbus-1')!.stats.cycles).toBeGreaterThanOrEqual(cycles + 2), 20_000);
      expect(fk.daemon.repos.meters.get('m-p')!.lastEnergyWh).toBe(first);
      return first;
    }, 10_000);
    await operate(fk, 'm-p', 'reconnect');
    await eventually(() => expect(fk.daemon.repos.meters.get('m-p')!.lastEnergyWh).toBeGreaterThan(settled), 10_000);
    expect((await fk.api('GET', '/v1/meters/m-p', { role: 'operator' })).body).toMatchObject({ relayState: 'closed', online: true });
  });

  it('refuses Modbus meters it could not talk to, saying which field is wrong', async () => {
    const fk = await daemon({
      buses: [
        { id: 'dlt-only', kind: 'serial', path: '/dev/null', baudRate: 2400 },
        { id: 'rtu-1', kind: 'tcp', host: '127.0.0.1', port: 9, baudRate: 9600, framing: ['modbus-rtu'] },
        { id: 'mtcp-1', kind: 'modbus-tcp', host: '127.0.0.1', port: 9 },
      ],
    });
    const res = await fk.api('POST', '/v1/accounts', { body: { id: 'acc-x', name: 'X' } });
    expect(res.status).toBe(201);
    const create = (body: Record<string, unknown>) => fk.api('POST', '/v1/meters', { body: { id: 'm-x', accountId: 'acc-x', ...body } });
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ protocol: 'modbus-rtu', busId: 'rtu-1', address: '248', registerMap: 'generic' }, 'address', /modbus-unit-id address rule: a whole number from 1 to 247/],
      [{ protocol: 'modbus-rtu', busId: 'rtu-1', address: '007', registerMap: 'generic' }, 'address', /modbus-unit-id address rule: a whole number from 1 to 247/],
      [{ protocol: 'modbus-rtu', busId: 'rtu-1', address: '7' }, 'registerMap', /needs a registerMap/],
      [{ protocol: 'modbus-rtu', busId: 'rtu-1', address: '7', registerMap: 'no-such-meter' }, 'registerMap', /is not one of eastron-sdm120, eastron-sdm630, generic, hiking-dds238-2-zn-sr/],
      [{ protocol: 'modbus-rtu', busId: 'dlt-only', address: '7', registerMap: 'generic' }, 'busId', /carries dlt645, not modbus-rtu/],
      [{ protocol: 'modbus-tcp', busId: 'rtu-1', address: '7', registerMap: 'generic' }, 'busId', /carries modbus-rtu, not modbus-tcp/],
      [{ protocol: 'dlt645', busId: 'mtcp-1', address: '000000000001' }, 'busId', /carries modbus-tcp, not dlt645/],
      [{ protocol: 'dlt645', busId: 'dlt-only', address: '000000000001', registerMap: 'generic' }, 'registerMap', /has no register map/],
    ];
    for (const [body, field, message] of cases) {
      const r = await create(body);
      expect({ body, status: r.status, field: r.body.error?.details?.field, message: r.body.error?.message })
        .toEqual({ body, status: 400, field, message: expect.stringMatching(message) });
    }
    const ok = await create({ protocol: 'modbus-tcp', busId: 'mtcp-1', address: '7', registerMap: 'eastron-sdm120' });
    expect(ok.status).toBe(201);
    expect(fk.daemon.repos.meters.get('m-x')!.registerMap).toBe('eastron-sdm120');
  });

  it('a misconfigured register map stops start-up, naming the file and the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feikong-maps-'));
    stops.push(() => rmSync(dir, { recursive: true, force: true }));
    const bad = { ...maps.get('generic'), name: 'site-meter', registers: { ...maps.get('generic').registers, forwardActiveEnergy: { function: 'input', address: 0, type: 'float64', unit: 'kWh' } } };
    writeFileSync(join(dir, 'site-meter.json'), JSON.stringify(bad));
    await expect(startTestDaemon({ modbus: { registerMapsDir: dir } })).rejects.toThrow(
      `register map ${join(dir, 'site-meter.json')}: key "registers.forwardActiveEnergy.type": expected one of "uint16", "int16", "uint32", "int32", "float32" (got "float64")`,
    );
  });
});

/** Debian's python3 (where python3-pymodbus installs), or the one on PATH, whichever imports pymodbus. */
function pythonWithPymodbus(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(candidate, ['-c', 'import pymodbus'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next
    }
  }
  throw new Error('no python3 with pymodbus: install Debian\'s python3-pymodbus (apt-get install python3-pymodbus)');
}
