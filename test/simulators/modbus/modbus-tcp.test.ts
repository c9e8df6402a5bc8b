// The Modbus TCP meter simulator (modbus-serial's ServerTCP driven by register maps) against the
// head-end's Modbus TCP client: values as the map encodes them, energy advancing under load, relay
// writes, exceptions, silence, unknown units, priorities, closing, and reconnecting.
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusTcpClient, isModbusError, readPoints, type ModbusRequest, type Priority } from '../../../protocols/modbus/index.js';
import { exception, silence, startModbusTcpServer, type SimModbusTcpServer } from '../../../simulators/modbus/index.js';
import { RegisterMaps, registerMapsDirectory } from '../../../src/registermaps.js';
import { eventually } from '../../helpers/eventually.js';
import { failure } from '../../helpers/failure.js';

const maps = RegisterMaps.load(registerMapsDirectory(undefined));
const generic = maps.get('generic');

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function server(port = 0): Promise<SimModbusTcpServer> {
  const sim = await startModbusTcpServer({
    port,
    meters: [
      { unit: 1, map: generic, energyWh: 1_234_560, loadW: 36_000, voltageV: 230 },
      { unit: 2, map: maps.get('eastron-sdm120'), energyWh: 5_000_123, loadW: 2300, voltageV: 230 },
    ],
  });
  stops.push(() => sim.close());
  return sim;
}

function client(port: number, responseTimeoutMs = 300): ModbusTcpClient {
  const c = new ModbusTcpClient('mtcp-1', { host: '127.0.0.1', port, responseTimeoutMs, connectTimeoutMs: 1000 });
  stops.push(() => c.close());
  return c;
}

describe('Modbus TCP simulator and client', () => {
  it('reads energy, instantaneous values and the relay as the register maps encode them', async () => {
    const sim = await server();
    const c = client(sim.port);
    const transact = (unit: number) => (request: ModbusRequest, what: string) => c.transact(unit, request, what, 'poll');
    const one = await readPoints(generic, ['forwardActiveEnergy', 'voltage', 'current', 'activePower', 'relayState'], transact(1));
    expect(one.energyWh).toBeGreaterThanOrEqual(1_234_560);
    expect(one.energyWh! % 10).toBe(0); // 0.01 kWh a count
    expect(one).toMatchObject({ voltageV: 230, activePowerW: 36_000, relay: 'closed' });
    expect(one.currentA).toBeCloseTo(36_000 / 230, 1);
    // SDM120: float32 kWh in input registers 0x0048–0x0049, rounded to the Wh.
    const two = await readPoints(maps.get('eastron-sdm120'), ['forwardActiveEnergy', 'voltage', 'activePower'], transact(2));
    expect(two.energyWh).toBeGreaterThanOrEqual(5_000_123);
    expect(two.energyWh! - sim.meter(2).energyWh).toBeLessThanOrEqual(1);
    expect(two).toMatchObject({ voltageV: 230, activePowerW: 2300 });
  });

  it('energy advances while the relay is closed, and stops while it is open', async () => {
    const sim = await server();
    const c = client(sim.port);
    const read = async () => (await readPoints(generic, ['forwardActiveEnergy'], (r, w) => c.transact(1, r, w, 'poll'))).energyWh!;
    const first = await read();
    await eventually(async () => expect(await read()).toBeGreaterThan(first), 20_000);
    await c.transact(1, { function: 'writeSingleCoil', address: 0, value: false }, 'disconnect', 'command');
    expect(sim.meter(1).relayState).toBe('open');
    expect(sim.meter(1).relayWrites.map((w) => [w.action, w.function])).toEqual([['open', 'writeSingleCoil']]);
    const stopped = await read();
    expect((await readPoints(generic, ['relayState'], (r, w) => c.transact(1, r, w, 'poll'))).relay).toBe('open');
    expect(sim.meter(1).energyWh - stopped).toBeLessThan(10);
  });

  it('turns an exception response into MODBUS_EXCEPTION naming the request and the endpoint', async () => {
    const sim = await server();
    sim.meter(1).addBehaviour(exception(0x04, { once: true }));
    const c = client(sim.port);
    const err = await failure(c.transact(1, { function: 'readInputRegisters', address: 0, quantity: 2 }, 'read input registers 0x0000..0x0001 of meter m-1 (unit 1)', 'poll'));
    expect(isModbusError(err) && err.code).toBe('MODBUS_EXCEPTION');
    expect(err.message).toBe('read input registers 0x0000..0x0001 of meter m-1 (unit 1) on Modbus TCP endpoint mtcp-1: exception 4 (SERVER DEVICE FAILURE)');
    // A register the map does not name: exception 02 from the model itself.
    const missing = await failure(c.transact(1, { function: 'readHoldingRegisters', address: 100, quantity: 1 }, 'holding 100', 'poll'));
    expect(missing.context?.exceptionCode).toBe(2);
    // A unit the endpoint does not have: the gateway's exception 0B.
    const absent = await failure(c.transact(9, { function: 'readInputRegisters', address: 0, quantity: 1 }, 'unit 9', 'poll'));
    expect(absent.context?.exceptionCode).toBe(0x0b);
  });

  it('times out on a silent meter with MODBUS_TIMEOUT, and goes on with the next request', async () => {
    const sim = await server();
    const remove = sim.meter(1).addBehaviour(silence());
    const c = client(sim.port, 200);
    const err = await failure(c.transact(1, { function: 'readInputRegisters', address: 0, quantity: 2 }, 'energy of unit 1', 'poll'));
    expect(isModbusError(err) && err.code).toBe('MODBUS_TIMEOUT');
    expect(err.message).toBe('no reply to energy of unit 1 on Modbus TCP endpoint mtcp-1 within 200 ms');
    remove();
    expect(await c.transact(1, { function: 'readDiscreteInputs', address: 0, quantity: 1 }, 'relay', 'poll')).toEqual({ function: 'readDiscreteInputs', bits: [true] });
    expect(c.stats).toMatchObject({ timeouts: 1, connects: 1 });
  });

  it('lets one request out at a time: commands ahead of reads ahead of polls', async () => {
    const sim = await server();
    const seen: string[] = [];
    sim.meter(1).addBehaviour({ name: 'log', onRequest: (r) => void seen.push(`${r.function}@${r.address}`) });
    const c = client(sim.port);
    await c.transact(1, { function: 'readDiscreteInputs', address: 0, quantity: 1 }, 'warm-up', 'poll');
    seen.length = 0;
    const ask = (address: number, priority: Priority) => c.transact(1, { function: 'readInputRegisters', address, quantity: 1 }, `${address}`, priority);
    await Promise.all([ask(0, 'poll'), ask(1, 'poll'), ask(2, 'read'), c.transact(1, { function: 'writeSingleCoil', address: 0, value: true }, 'reconnect', 'command'), ask(3, 'poll')]);
    expect(seen).toEqual(['readInputRegisters@0', 'writeSingleCoil@0', 'readInputRegisters@2', 'readInputRegisters@1', 'readInputRegisters@3']);
  });

  it('closing rejects the request in flight and those queued; none is left hanging', async () => {
    const sim = await server();
    sim.meter(1).addBehaviour(silence());
    const c = new ModbusTcpClient('mtcp-1', { host: '127.0.0.1', port: sim.port, responseTimeoutMs: 5000, connectTimeoutMs: 1000 });
    const inFlight = failure(c.transact(1, { function: 'readInputRegisters', address: 0, quantity: 2 }, 'first', 'poll'));
    const queued = failure(c.transact(1, { function: 'readInputRegisters', address: 0, quantity: 2 }, 'second', 'poll'));
    await eventually(() => expect(sim.stats.requests).toBe(1), 20_000);
    await c.close();
    expect((await inFlight).message).toMatch(/closed before first completed/);
    expect((await queued).code).toBe('MODBUS_UNREACHABLE');
    expect((await failure(c.transact(1, { function: 'readCoils', address: 0, quantity: 1 }, 'after', 'poll'))).message).toMatch(/closed before after/);
  });

  it('says so when the endpoint cannot be reached, and reconnects when it is back', async () => {
    const first = await server();
    const port = first.port;
    const c = client(port);
    await c.transact(1, { function: 'readDiscreteInputs', address: 0, quantity: 1 }, 'relay', 'poll');
    await first.close();
    // A request may still meet the dying connection and time out; then the reconnect fails.
    const down = await eventually(async () => {
      const err = await failure(c.transact(1, { function: 'readDiscreteInputs', address: 0, quantity: 1 }, 'relay', 'poll'));
      expect(err.code).toBe('MODBUS_UNREACHABLE');
      return err;
    }, 5000);
    expect(down.message).toMatch(new RegExp(`relay: Modbus TCP endpoint mtcp-1|cannot connect to Modbus TCP endpoint mtcp-1 at 127.0.0.1:${port}`));
    await server(port);
    await eventually(async () => {
      expect(await c.transact(1, { function: 'readDiscreteInputs', address: 0, quantity: 1 }, 'relay', 'poll')).toEqual({ function: 'readDiscreteInputs', bits: [true] });
    }, 5000);
    expect(c.stats.connects).toBe(2);
  });
});
