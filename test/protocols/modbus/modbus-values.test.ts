// Register values: integers and float32 over registers in both word orders, and energy registers
// converted to integer Wh exactly (integers) or to the nearest Wh (float32).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, energyToWh, isModbusError, whToRaw, type DataType } from '../../../protocols/modbus/index.js';

describe('register values', () => {
  it.each([
    ['uint16', [0xfffe], 'high-first', 65534],
    ['int16', [0xfffe], 'high-first', -2],
    // 123456 = 0x0001E240: high word 0001, low word E240.
    ['uint32', [0x0001, 0xe240], 'high-first', 123456],
    ['uint32', [0xe240, 0x0001], 'low-first', 123456],
    ['int32', [0xffff, 0xfffe], 'high-first', -2],
    // 230.0 = 0x43660000 (IEEE 754): the Eastron layout, most significant register first.
    ['float32', [0x4366, 0x0000], 'high-first', 230],
    ['float32', [0x0000, 0x4366], 'low-first', 230],
  ] as const)('%s %j (%s) = %d', (type, words, order, value) => {
    expect(decodeValue([...words], type, order)).toBe(value);
    expect(encodeValue(value, type, order)).toEqual(words);
  });

  it('refuses a value that does not fit, and the wrong number of registers', () => {
    expect(() => encodeValue(70_000, 'uint16')).toThrow(/does not fit uint16/);
    expect(() => encodeValue(-1, 'uint32')).toThrow(/does not fit/);
    expect(() => decodeValue([1], 'uint32')).toThrow(/needs 2 registers/);
  });

  it('round-trips any value of every integer type in both word orders', () => {
    const ranges: Array<[DataType, number, number]> = [['uint16', 0, 0xffff], ['int16', -0x8000, 0x7fff], ['uint32', 0, 0xffffffff], ['int32', -0x80000000, 0x7fffffff]];
    for (const [type, min, max] of ranges) {
      fc.assert(fc.property(fc.integer({ min, max }), fc.constantFrom('high-first' as const, 'low-first' as const), (v, order) => {
        expect(decodeValue(encodeValue(v, type, order), type, order)).toBe(v);
      }));
    }
  });
});

describe('energy to integer Wh', () => {
  it.each([
    // DDS238: uint32 of 0.01 kWh → 10 Wh a count, exact.
    [123456, 'uint32', 0.01, 'kWh', 1_234_560],
    [0xffffffff, 'uint32', 0.01, 'kWh', 42_949_672_950],
    // A register of whole Wh.
    [98765, 'uint32', 1, 'Wh', 98_765],
    // 0.1 Wh a count: floored, never ahead of the meter.
    [12_345, 'uint32', 0.1, 'Wh', 1_234],
    // 2.5 kWh a count (a large CT meter).
    [7, 'uint16', 2.5, 'kWh', 17_500],
    // float32 kWh (Eastron): 1234.56 kWh is stored as 1234.5599365234375 and read as 1 234 560 Wh.
    [Math.fround(1234.56), 'float32', 1, 'kWh', 1_234_560],
  ] as const)('%d × %s × %d %s = %d Wh', (raw, type, scale, unit, wh) => {
    expect(energyToWh(raw, type, scale, unit)).toBe(wh);
  });

  it('refuses negative and non-finite energy', () => {
    for (const raw of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      try {
        energyToWh(raw, 'float32', 1, 'kWh');
        expect.unreachable();
      } catch (err) {
        expect(isModbusError(err) && err.code).toBe('VALUE_INVALID');
      }
    }
  });

  it('integer registers: any count converts exactly, and back', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0.01, 0.1, 1, 10), (raw, scale) => {
      const wh = energyToWh(raw, 'uint32', scale, 'kWh');
      expect(BigInt(wh)).toBe((BigInt(raw) * BigInt(Math.round(scale * 1000))));
      expect(whToRaw(wh, 'uint32', scale, 'kWh')).toBe(raw);
    }));
  });

  it('float32 kWh: exact to the Wh below 16 384 kWh, the float32 step above', () => {
    // Below 2^14 kWh a float32 step is at most 2^-10 kWh (0.98 Wh): rounding recovers every Wh.
    fc.assert(fc.property(fc.integer({ min: 0, max: 16_383_999 }), (wh) => {
      expect(energyToWh(Math.fround(whToRaw(wh, 'float32', 1, 'kWh')), 'float32', 1, 'kWh')).toBe(wh);
    }));
    // At 100 000 kWh a float32 step is 7.8125 Wh: the reading is the meter's, within half a step.
    const wh = 100_000_003;
    const read = energyToWh(Math.fround(wh / 1000), 'float32', 1, 'kWh');
    expect(Math.abs(read - wh)).toBeLessThanOrEqual(4);
  });
});
