// Modbus meters through the daemon's own parts — Bus, RtuLine, ModbusMeters, ModbusReader,
// ModbusExecutor — against the RTU line simulator on a pseudo-terminal: values per register map,
// one queue shared with DL/T 645, and coded errors that name the meter, unit, bus and registers.
import { afterEach, describe, expect, it } from 'vitest';
import { exception, silence, startModbusRtuLine, wrongCrc, type SimModbusLine } from '../../simulators/modbus/index.js';
import type { MeterRow } from '../../src/db/repo/index.js';
import { ModbusExecutor } from '../../src/commands/modbus-executor.js';
import { ModbusMeters, ModbusReader, RtuLine } from '../../src/polling/modbus-reader.js';
import { RegisterMaps, registerMapsDirectory } from '../../src/registermaps.js';
import { Cleanup, address, serialBus, tcpBus } from './helpers.js';
import { failure } from '../helpers/failure.js';

const maps = RegisterMaps.load(registerMapsDirectory(undefined));
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function meter(id: string, unit: number, registerMap: string, protocol = 'modbus-rtu'): MeterRow {
  return {
    id, accountId: 'acc-1', protocol, busId: 'test-line', address: String(unit), concentratorId: null, registerMap, edition: '2007',
    supportsKeepPower: 0, supportsDirectClose: 1, relayState: 'unknown', relayStateAt: null, lastReadingAt: null, lastEnergyWh: null,
    chargeBaseWh: null, chargedEnergyWh: null, online: 1, stale: 0, createdAt: 0, profile: null, ownCredentials: 0,
  };
}

async function rig(options: { retries?: number; dlt645?: boolean } = {}) {
  const sim: SimModbusLine = cleanup.add(await startModbusRtuLine({
    transport: { kind: 'pty' }, baudRate: 9600, responseDelayMs: 5,
    meters: [
      { unit: 1, map: maps.get('generic'), energyWh: 1_234_560 },
      { unit: 2, map: maps.get('hiking-dds238-2-zn-sr'), energyWh: 987_650 },
      { unit: 3, map: maps.get('eastron-sdm120'), energyWh: 4_321_987 },
    ],
    ...(options.dlt645 ? { dlt645: { meters: [{ address: address(42), energyWh: 555_550 }], responseDelayMs: 20 } } : {}),
  }), (s) => s.close());
  const { bus, driver } = serialBus(cleanup, sim.devicePath!, 9600);
  const line = new RtuLine(bus, 250);
  const meters = new ModbusMeters(new Map([['test-line', line]]), maps, options.retries ?? 1);
  return { sim, bus, driver, meters, reader: new ModbusReader(meters), executor: new ModbusExecutor(meters) };
}

describe('ModbusReader over a pseudo-terminal', () => {
  it('reads energy and relay as each meter\'s register map says', async () => {
    const { reader, sim } = await rig();
    expect(await reader.read(meter('m-1', 1, 'generic'), 'poll')).toMatchObject({ energyWh: 1_234_560, relay: 'closed' });
    sim.meter(2).setRelay('open');
    expect(await reader.read(meter('m-2', 2, 'hiking-dds238-2-zn-sr'), 'poll')).toMatchObject({ energyWh: 987_650, relay: 'open' });
    // No relay register in an SDM120: the relay is not known, not guessed; its voltage, current and power are live values.
    const sdm = await reader.read(meter('m-3', 3, 'eastron-sdm120'), 'poll');
    expect(sdm).toMatchObject({ energyWh: 4_321_987, relay: null });
    expect(sdm.live?.map((v) => v.quantity)).toEqual(['phaseAVoltage', 'phaseACurrent', 'activePowerTotal']);
  });

  it('shares the bus queue with DL/T 645 on one line: every answer right, no collision', async () => {
    const { reader, driver, sim, bus } = await rig({ dlt645: true });
    const m1 = meter('m-1', 1, 'generic');
    const m2 = meter('m-2', 2, 'hiking-dds238-2-zn-sr');
    const results = await Promise.all([
      ...[1, 2, 3].map(() => reader.read(m1, 'poll')),
      ...[1, 2, 3].map(() => driver.readEnergyWh(address(42), 'poll')),
      ...[1, 2].map(() => reader.read(m2, 'read')),
    ]);
    expect(results).toMatchObject([
      ...[1, 2, 3].map(() => ({ energyWh: 1_234_560, relay: 'closed' })),
      555_550, 555_550, 555_550,
      ...[1, 2].map(() => ({ energyWh: 987_650, relay: 'closed' })),
    ]);
    expect(sim.stats.collisions).toBe(0);
    expect(bus.stats.checksumFailures).toBe(0);
    expect(bus.stats.timeouts).toBe(0);
  });

  it('an exception response is MODBUS_EXCEPTION naming the meter, unit, bus and registers', async () => {
    const { reader, sim } = await rig();
    sim.meter(1).addBehaviour(exception(0x04, { when: (r) => r.function === 'readInputRegisters' }));
    const err = await failure(reader.read(meter('m-1', 1, 'generic'), 'poll'));
    expect(err.code).toBe('MODBUS_EXCEPTION');
    expect(err.message).toBe('read input registers 0x0000..0x0001 (forwardActiveEnergy) of meter m-1 (unit 1) on bus test-line: exception 4 (SERVER DEVICE FAILURE)');
    expect(err.context).toMatchObject({ bus: 'test-line', unit: 1, exceptionCode: 4 });
  });

  it('a wrong CRC is FRAME_CRC; it is tried again, and a good reply then wins', async () => {
    const { reader, sim, bus } = await rig({ retries: 1 });
    sim.meter(1).addBehaviour(wrongCrc({ once: true }));
    expect(await reader.read(meter('m-1', 1, 'generic'), 'poll')).toMatchObject({ energyWh: 1_234_560, relay: 'closed' });
    expect(bus.stats.checksumFailures).toBe(1);
    sim.meter(1).addBehaviour(wrongCrc());
    const err = await failure(reader.read(meter('m-1', 1, 'generic'), 'poll'));
    expect(err.code).toBe('FRAME_CRC');
    expect(err.message).toMatch(/^read input registers 0x0000\.\.0x0001 \(forwardActiveEnergy\) of meter m-1 \(unit 1\) on bus test-line: the reply's CRC is wrong \([0-9a-f]+\)$/);
    expect(bus.stats.checksumFailures).toBe(3);
  });

  it('a silent meter is BUS_TIMEOUT naming the meter, unit, bus and registers; an offline one is asked once', async () => {
    const { reader, sim, bus } = await rig({ retries: 1 });
    sim.meter(2).addBehaviour(silence());
    const err = await failure(reader.read(meter('m-2', 2, 'hiking-dds238-2-zn-sr'), 'poll'));
    expect(err.code).toBe('BUS_TIMEOUT');
    expect(err.message).toMatch(/^read holding registers 0x000A\.\.0x000B \(forwardActiveEnergy\) of meter m-2 \(unit 2\) on bus test-line: /);
    expect(bus.stats.timeouts).toBe(2);
    await failure(reader.read({ ...meter('m-2', 2, 'hiking-dds238-2-zn-sr'), online: 0 }, 'poll'));
    expect(bus.stats.timeouts).toBe(3);
  });

  it('reads Modbus RTU through a TCP serial server (DTU) the same way', async () => {
    const sim: SimModbusLine = cleanup.add(await startModbusRtuLine({
      transport: { kind: 'tcp' }, baudRate: 9600, responseDelayMs: 5, meters: [{ unit: 9, map: maps.get('generic'), energyWh: 42_420 }],
    }), (s) => s.close());
    const { bus } = tcpBus(cleanup, sim.port!, 9600);
    const reader = new ModbusReader(new ModbusMeters(new Map([['test-line', new RtuLine(bus, 250)]]), maps, 0));
    expect(await reader.read(meter('m-9', 9, 'generic'), 'read')).toMatchObject({ energyWh: 42_420, relay: 'closed' });
  });

  it('says which register map or bus is missing', async () => {
    const { reader } = await rig();
    expect((await failure(reader.read(meter('m-9', 9, 'no-such-map'), 'poll'))).message).toMatch(/register map "no-such-map" does not exist/);
    expect((await failure(reader.read({ ...meter('m-9', 9, 'generic'), busId: 'elsewhere' }, 'poll'))).message).toBe('meter m-9 is on bus elsewhere, which carries no Modbus');
    expect((await failure(reader.read({ ...meter('m-9', 9, 'generic'), registerMap: null }, 'poll'))).message).toBe('meter m-9 has no register map');
  });
});

describe('ModbusExecutor over a pseudo-terminal', () => {
  const deadline = () => new Date(Date.now() + 60_000);

  it('switches a coil relay and reads it back from its discrete input', async () => {
    const { executor, sim } = await rig();
    const m1 = meter('m-1', 1, 'generic');
    expect(await executor.send(m1, 'disconnect', deadline())).toEqual({ accepted: true });
    expect(sim.meter(1).relayWrites.map((w) => [w.action, w.function])).toEqual([['open', 'writeSingleCoil']]);
    expect(await executor.readBack(m1)).toEqual({ relay: 'open', tripPending: false, closePermitted: false });
    expect(await executor.send(m1, 'reconnect', deadline())).toEqual({ accepted: true });
    expect(await executor.readBack(m1)).toMatchObject({ relay: 'closed' });
  });

  it('switches a DDS238 with function 10 on register 0x001A', async () => {
    const { executor, sim } = await rig();
    const m2 = meter('m-2', 2, 'hiking-dds238-2-zn-sr');
    expect(await executor.send(m2, 'disconnect', deadline())).toEqual({ accepted: true });
    expect(sim.meter(2).relayWrites.map((w) => [w.action, w.function])).toEqual([['open', 'writeMultipleRegisters']]);
    expect(await executor.readBack(m2)).toMatchObject({ relay: 'open' });
  });

  it('a meter refusing the write is a refusal with its exception; a busy meter is tried again later', async () => {
    const { executor, sim } = await rig();
    const m1 = meter('m-1', 1, 'generic');
    sim.meter(1).addBehaviour(exception(0x03, { once: true, when: (r) => r.function === 'writeSingleCoil' }));
    const refused = await executor.send(m1, 'disconnect', deadline());
    expect(refused).toEqual({
      accepted: false, outcome: 'refused',
      message: 'disconnect: write coil 0x0000 = 0 (function 05) of meter m-1 (unit 1) on bus test-line: exception 3 (ILLEGAL DATA VALUE)',
    });
    expect(sim.meter(1).relayState).toBe('closed');
    sim.meter(1).addBehaviour(exception(0x06, { once: true, when: (r) => r.function === 'writeSingleCoil' }));
    expect((await failure(executor.send(m1, 'disconnect', deadline()))).message).toMatch(/exception 6 \(SERVER DEVICE BUSY\)/);
  });

  it('refuses to switch a meter whose map has no relay', async () => {
    const { executor, sim } = await rig();
    const result = await executor.send(meter('m-3', 3, 'eastron-sdm120'), 'disconnect', deadline());
    expect(result).toMatchObject({ accepted: false, outcome: 'refused' });
    expect(!result.accepted && result.message).toMatch(/register map eastron-sdm120 \(Eastron SDM120-Modbus.*\) has no relay control/);
    expect(sim.meter(3).requests.size).toBe(0);
    await expect(executor.readBack(meter('m-3', 3, 'eastron-sdm120'))).rejects.toThrow(/no relay state register/);
  });
});
