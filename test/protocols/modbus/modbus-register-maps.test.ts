// Register maps as data: the shipped maps load and say what their manuals say; a broken map is
// refused with the file and the key at fault; reads are planned from a map without touching
// addresses it does not name.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isModbusError, planReads, relayWriteRequest, validateRegisterMap, type RegisterMap } from '../../../protocols/modbus/index.js';
import { RegisterMaps, registerMapsDirectory } from '../../../src/registermaps.js';

const shipped = RegisterMaps.load(registerMapsDirectory(undefined));

const generic = (): Record<string, any> => structuredClone(shipped.get('generic')) as Record<string, any>;

function refusal(raw: unknown, name = 'generic'): string {
  try {
    validateRegisterMap(raw, `/maps/${name}.json`, name);
  } catch (err) {
    expect(isModbusError(err) && err.code).toBe('MAP_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected the map to be refused');
}

describe('shipped register maps', () => {
  it('are all valid, named after their files, and say where their registers come from', () => {
    expect(shipped.names()).toEqual(['eastron-sdm120', 'eastron-sdm630', 'generic', 'hiking-dds238-2-zn-sr']);
    for (const name of shipped.names()) {
      const map = shipped.get(name);
      expect(map.name).toBe(name);
      expect(map.source.length).toBeGreaterThan(20);
    }
  });

  it('Eastron SDM120 and SDM630: import active energy, float32 kWh, input register 30073 (0x0048)', () => {
    for (const name of ['eastron-sdm120', 'eastron-sdm630']) {
      const map = shipped.get(name);
      expect(map.source).toMatch(/Eastron/);
      expect(map.registers.forwardActiveEnergy).toEqual({ function: 'input', address: 0x0048, type: 'float32', wordOrder: 'high-first', scale: 1, unit: 'kWh' });
      expect(map.registers.voltage).toMatchObject({ function: 'input', address: 0x0000, type: 'float32', unit: 'V' });
      expect(map.registers.current).toMatchObject({ function: 'input', address: 0x0006 });
      expect(map.relayControl).toBeUndefined();
    }
    expect(shipped.get('eastron-sdm120').registers.activePower).toMatchObject({ address: 0x000c });
    expect(shipped.get('eastron-sdm630').registers.activePower).toMatchObject({ address: 0x0034 });
  });

  it('Hiking DDS238-2 ZN/SR: 0.01 kWh import energy at 0x000A, relay at 0x001A written with function 10', () => {
    const map = shipped.get('hiking-dds238-2-zn-sr');
    expect(map.registers.forwardActiveEnergy).toEqual({ function: 'holding', address: 0x000a, type: 'uint32', wordOrder: 'high-first', scale: 0.01, unit: 'kWh' });
    expect(map.registers.relayState).toEqual({ function: 'holding', address: 0x001a, open: 0, closed: 1 });
    expect(relayWriteRequest(map, 'open')).toEqual({ function: 'writeMultipleRegisters', address: 0x001a, values: [0] });
    expect(relayWriteRequest(map, 'close')).toEqual({ function: 'writeMultipleRegisters', address: 0x001a, values: [1] });
  });

  it('generic: relay switched with coil 0 (function 05), read back from discrete input 0', () => {
    const map = shipped.get('generic');
    expect(relayWriteRequest(map, 'close')).toEqual({ function: 'writeSingleCoil', address: 0, value: true });
    expect(relayWriteRequest(map, 'open')).toEqual({ function: 'writeSingleCoil', address: 0, value: false });
    expect(map.registers.relayState).toEqual({ function: 'discrete', address: 0, open: 0, closed: 1 });
  });
});

describe('a broken map is refused naming the file and the key', () => {
  const cases: Array<[string, (m: Record<string, any>) => void, string, RegExp]> = [
    ['an address past 65535', (m) => { m.registers.forwardActiveEnergy.address = 70_000; }, 'registers.forwardActiveEnergy.address', /65535/],
    ['an unknown data type', (m) => { m.registers.voltage.type = 'float64'; }, 'registers.voltage.type', /expected one of "uint16", "int16", "uint32", "int32", "float32"/],
    ['an unknown function', (m) => { m.registers.current.function = 'coil'; }, 'registers.current.function', /expected one of "input", "holding"/],
    ['no forward active energy', (m) => { delete m.registers.forwardActiveEnergy; }, 'registers.forwardActiveEnergy', /Expected required property/],
    ['energy as int16', (m) => { m.registers.forwardActiveEnergy.type = 'int16'; }, 'registers.forwardActiveEnergy.type', /cannot be int16/],
    ['a scale that is no exact decimal', (m) => { m.registers.forwardActiveEnergy.scale = 1 / 3; }, 'registers.forwardActiveEnergy.scale', /at most 9 significant digits/],
    ['a scale of zero', (m) => { m.registers.forwardActiveEnergy.scale = 0; }, 'registers.forwardActiveEnergy.scale', /greater than 0/],
    ['energy in a unit that is not energy', (m) => { m.registers.forwardActiveEnergy.unit = 'kW'; }, 'registers.forwardActiveEnergy.unit', /expected one of "Wh", "kWh"/],
    ['a 32-bit value in the last register', (m) => { m.registers.forwardActiveEnergy.address = 0xffff; }, 'registers.forwardActiveEnergy.address', /run past 65535/],
    ['relay control without a relay state to read back', (m) => { delete m.registers.relayState; }, 'registers.relayState', /confirmed only by reading the relay back/],
    ['a coil value other than 0 or 1', (m) => { m.relayControl.close = 0xff00; }, 'relayControl.close', /a coil is 0 or 1/],
    ['open and close the same', (m) => { m.relayControl.close = 0; }, 'relayControl.close', /must differ from open/],
    ['open and closed the same in the relay state', (m) => { m.registers.relayState.closed = 0; }, 'registers.relayState.closed', /must differ from open/],
    ['a key the format does not know', (m) => { m.registers.frequency = { function: 'input', address: 9, type: 'uint16', unit: 'Hz' }; }, 'registers.frequency', /Unexpected property/],
    ['a name that is not the file name', (m) => { m.name = 'other'; }, 'name', /must be the file name "generic"/],
    ['no source', (m) => { delete m.source; }, 'source', /Expected required property/],
  ];

  it.each(cases)('%s', (_name, mutate, key, message) => {
    const raw = generic();
    mutate(raw);
    const text = refusal(raw);
    expect(text).toContain('/maps/generic.json');
    expect(text).toContain(`key "${key}"`);
    expect(text).toMatch(message);
  });
});

describe('loading a directory of maps', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'feikong-maps-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, content: unknown) => writeFileSync(join(dir, `${name}.json`), typeof content === 'string' ? content : JSON.stringify(content));

  it('stops at a bad map with its path and key', () => {
    write('good', { ...generic(), name: 'good' });
    write('bad', { ...generic(), name: 'bad', maxReadRegisters: 200 });
    expect(() => RegisterMaps.load(dir)).toThrow(new RegExp(`register map ${join(dir, 'bad.json')}: key "maxReadRegisters": .*125`));
  });

  it('names a file that is not JSON', () => {
    write('broken', '{ "name": "broken", ');
    expect(() => RegisterMaps.load(dir)).toThrow(new RegExp(`register map ${join(dir, 'broken.json')}: not valid JSON`));
  });

  it('fills defaults, loads a map added later when first asked for, and lists the maps for an unknown name', () => {
    const { maxReadRegisters: _m, ...withoutMax } = generic();
    write('one', { ...withoutMax, name: 'one' });
    const maps = RegisterMaps.load(dir);
    expect(maps.get('one').maxReadRegisters).toBe(125);
    write('two', { ...generic(), name: 'two' });
    expect(maps.get('two').name).toBe('two');
    expect(() => maps.get('three')).toThrow(/register map "three" does not exist .* \(have: one, two\)/);
  });
});

describe('planning reads from a map', () => {
  const base: RegisterMap = shipped.get('generic');
  const map = (registers: Partial<RegisterMap['registers']>, maxReadRegisters = 125): RegisterMap =>
    ({ ...base, maxReadRegisters, registers: { ...base.registers, ...registers } }) as RegisterMap;

  it('reads touching points of one table together, other tables apart, in the order asked', () => {
    const reads = planReads(map({}), ['forwardActiveEnergy', 'voltage', 'current', 'activePower', 'relayState']);
    expect(reads.map((r) => r.request)).toEqual([
      { function: 'readInputRegisters', address: 0, quantity: 6 },
      { function: 'readDiscreteInputs', address: 0, quantity: 1 },
    ]);
    expect(reads[0]!.points).toEqual([
      { key: 'forwardActiveEnergy', offset: 0, count: 2 }, { key: 'voltage', offset: 2, count: 1 },
      { key: 'current', offset: 3, count: 1 }, { key: 'activePower', offset: 4, count: 2 },
    ]);
  });

  it('never reads across a gap the map does not name, nor past maxReadRegisters', () => {
    const gap = map({ voltage: { function: 'input', address: 10, type: 'uint16', wordOrder: 'high-first', scale: 0.1, unit: 'V' } });
    expect(planReads(gap, ['forwardActiveEnergy', 'voltage']).map((r) => r.request)).toEqual([
      { function: 'readInputRegisters', address: 0, quantity: 2 },
      { function: 'readInputRegisters', address: 10, quantity: 1 },
    ]);
    expect(planReads(map({}, 2), ['forwardActiveEnergy', 'voltage', 'current']).map((r) => r.request)).toEqual([
      { function: 'readInputRegisters', address: 0, quantity: 2 },
      { function: 'readInputRegisters', address: 2, quantity: 2 },
    ]);
  });

  it('reads the DDS238 relay register apart from its energy registers', () => {
    expect(planReads(shipped.get('hiking-dds238-2-zn-sr'), ['forwardActiveEnergy', 'relayState']).map((r) => r.request)).toEqual([
      { function: 'readHoldingRegisters', address: 0x0a, quantity: 2 },
      { function: 'readHoldingRegisters', address: 0x1a, quantity: 1 },
    ]);
  });
});
