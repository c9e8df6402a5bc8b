// The simulated Modbus meter as a model, on its own clock: energy integrates the load while the
// relay is closed, registers are encoded as the register map says (saturating, rolling over),
// relay writes follow the map's quirks, and behaviours answer first.
import { describe, expect, it } from 'vitest';
import { decodeValue, energyToWh, type ModbusRequest, type RegisterMap } from '../../../protocols/modbus/index.js';
import { SimModbusMeter, delay, exception, forWrites, silence, wrongCrc } from '../../../simulators/modbus/index.js';
import { RegisterMaps, registerMapsDirectory } from '../../../src/registermaps.js';

const maps = RegisterMaps.load(registerMapsDirectory(undefined));

function clocked(map: RegisterMap, options: Partial<ConstructorParameters<typeof SimModbusMeter>[0]> = {}) {
  let now = 1_000_000;
  const meter = new SimModbusMeter({ unit: 1, map, ...options }, () => now);
  return { meter, advance: (ms: number) => (now += ms) };
}

const registers = (meter: SimModbusMeter, request: Extract<ModbusRequest, { quantity: number }>): number[] => {
  const reply = meter.handle(request);
  if (reply.kind !== 'response' || !('registers' in reply.response)) throw new Error(`no registers: ${JSON.stringify(reply)}`);
  return reply.response.registers;
};

describe('SimModbusMeter', () => {
  it('integrates the load into forward active energy while the relay is closed, not while open', () => {
    const { meter, advance } = clocked(maps.get('generic'), { energyWh: 1000, loadW: 3600 });
    advance(10_000); // 3.6 kW for 10 s = 10 Wh
    expect(meter.energyWh).toBe(1010);
    meter.setRelay('open');
    advance(60_000);
    expect(meter.energyWh).toBe(1010);
    meter.setRelay('closed');
    advance(500); // 0.5 Wh: carried, not lost
    advance(500);
    expect(meter.energyWh).toBe(1011);
  });

  it('encodes energy, voltage, current and power as the generic map says', () => {
    const { meter } = clocked(maps.get('generic'), { energyWh: 1_234_567, loadW: 2200, voltageV: 220 });
    const words = registers(meter, { function: 'readInputRegisters', address: 0, quantity: 6 });
    // 0.01 kWh a count: 1 234 567 Wh reads as 123 456 counts (1 234 560 Wh), floored.
    expect(energyToWh(decodeValue(words.slice(0, 2), 'uint32'), 'uint32', 0.01, 'kWh')).toBe(1_234_560);
    expect(words[2]).toBe(2200); // 220.0 V in 0.1 V
    expect(words[3]).toBe(1000); // 10.00 A in 0.01 A
    expect(decodeValue(words.slice(4, 6), 'int32')).toBe(2200);
  });

  it('encodes float32 kWh for an Eastron map', () => {
    const { meter } = clocked(maps.get('eastron-sdm630'), { energyWh: 12_345_678 });
    const words = registers(meter, { function: 'readInputRegisters', address: 0x48, quantity: 2 });
    expect(energyToWh(decodeValue(words, 'float32'), 'float32', 1, 'kWh')).toBe(12_345_678);
  });

  it('saturates a register at its type\'s limit, and rolls an energy counter over', () => {
    const dds = clocked(maps.get('hiking-dds238-2-zn-sr'), { loadW: 40_000 }).meter;
    // DDS238 active power is int16 W: 40 kW reads as 32 767.
    expect(registers(dds, { function: 'readHoldingRegisters', address: 0x0e, quantity: 1 })).toEqual([32_767]);
    const small: RegisterMap = { ...maps.get('generic'), registers: { ...maps.get('generic').registers, forwardActiveEnergy: { function: 'input', address: 0, type: 'uint16', wordOrder: 'high-first', scale: 1, unit: 'kWh' } } };
    const rolled = clocked(small, { energyWh: 65_537_000 }).meter;
    expect(registers(rolled, { function: 'readInputRegisters', address: 0, quantity: 1 })).toEqual([1]); // 65 537 kWh on a 16-bit counter
  });

  it('answers exception 02 for an address the map does not name, and 03 for a relay value it does not know', () => {
    const { meter } = clocked(maps.get('generic'));
    expect(meter.handle({ function: 'readInputRegisters', address: 5, quantity: 2 })).toEqual({ kind: 'exception', exceptionCode: 2 });
    expect(meter.handle({ function: 'writeSingleRegister', address: 0, value: 1 })).toEqual({ kind: 'exception', exceptionCode: 2 });
    const dds = clocked(maps.get('hiking-dds238-2-zn-sr')).meter;
    expect(dds.handle({ function: 'writeMultipleRegisters', address: 0x1a, values: [2] })).toEqual({ kind: 'exception', exceptionCode: 3 });
    expect(dds.handle({ function: 'writeMultipleRegisters', address: 0x1a, values: [0, 0] })).toEqual({ kind: 'exception', exceptionCode: 2 });
    expect(dds.relayWrites).toEqual([]);
  });

  it('asks behaviours first, newest first; `once` behaviours go after answering', () => {
    const { meter } = clocked(maps.get('generic'));
    const read: ModbusRequest = { function: 'readDiscreteInputs', address: 0, quantity: 1 };
    meter.addBehaviour(silence());
    meter.addBehaviour(exception(0x06, { once: true }));
    expect(meter.handle(read)).toEqual({ kind: 'exception', exceptionCode: 6 });
    expect(meter.handle(read)).toEqual({ kind: 'silent' });
    meter.clearBehaviours();
    meter.addBehaviour(delay(250, { when: forWrites }));
    meter.addBehaviour(wrongCrc({ when: forWrites }));
    expect(meter.handle({ function: 'writeSingleCoil', address: 0, value: false })).toMatchObject({ kind: 'response', corruptCrc: true });
    expect(meter.relayState).toBe('open');
    expect(meter.handle(read)).toEqual({ kind: 'response', response: { function: 'readDiscreteInputs', bits: [false] } });
    expect(meter.requests.get('readDiscreteInputs')).toBe(3);
  });
});
