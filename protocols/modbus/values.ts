// Register values: 16- and 32-bit integers and IEEE 754 float32 spread over 16-bit registers, and
// the exact conversion of energy registers to integer Wh.
// Modbus Application Protocol V1.1b3 §4.2: each register is big-endian (high byte first). How a
// 32-bit value spans two registers is not in the standard: meters say it in their manuals, so the
// register map names the word order ("high-first" = ABCD, "low-first" = CDAB).
import { ModbusError } from './errors.js';

export type DataType = 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32';
export type WordOrder = 'high-first' | 'low-first';

export const DATA_TYPES: readonly DataType[] = ['uint16', 'int16', 'uint32', 'int32', 'float32'];

export function registerCount(type: DataType): 1 | 2 {
  return type === 'uint16' || type === 'int16' ? 1 : 2;
}

function toBytes(words: readonly number[], wordOrder: WordOrder): Buffer {
  const ordered = wordOrder === 'high-first' ? words : [...words].reverse();
  const buf = Buffer.alloc(2 * ordered.length);
  ordered.forEach((w, i) => buf.writeUInt16BE(w & 0xffff, 2 * i));
  return buf;
}

function toWords(buf: Buffer, wordOrder: WordOrder): number[] {
  const words = Array.from({ length: buf.length / 2 }, (_, i) => buf.readUInt16BE(2 * i));
  return wordOrder === 'high-first' ? words : words.reverse();
}

/** The value held in `words` (exactly registerCount(type) of them). */
export function decodeValue(words: readonly number[], type: DataType, wordOrder: WordOrder = 'high-first'): number {
  if (words.length !== registerCount(type)) {
    throw new ModbusError('VALUE_INVALID', `${type} needs ${registerCount(type)} registers, got ${words.length}`, { type, words });
  }
  const buf = toBytes(words, wordOrder);
  switch (type) {
    case 'uint16': return buf.readUInt16BE(0);
    case 'int16': return buf.readInt16BE(0);
    case 'uint32': return buf.readUInt32BE(0);
    case 'int32': return buf.readInt32BE(0);
    case 'float32': return buf.readFloatBE(0);
  }
}

/** The registers that hold `value` (integers are truncated to the type's range check, floats rounded to float32). */
export function encodeValue(value: number, type: DataType, wordOrder: WordOrder = 'high-first'): number[] {
  const buf = Buffer.alloc(2 * registerCount(type));
  const int = Math.trunc(value);
  const ranges: Record<Exclude<DataType, 'float32'>, [number, number]> = {
    uint16: [0, 0xffff], int16: [-0x8000, 0x7fff], uint32: [0, 0xffffffff], int32: [-0x80000000, 0x7fffffff],
  };
  if (type !== 'float32') {
    const [min, max] = ranges[type];
    if (!(int >= min && int <= max)) throw new ModbusError('VALUE_INVALID', `${value} does not fit ${type}`, { value, type });
  }
  switch (type) {
    case 'uint16': buf.writeUInt16BE(int, 0); break;
    case 'int16': buf.writeInt16BE(int, 0); break;
    case 'uint32': buf.writeUInt32BE(int, 0); break;
    case 'int32': buf.writeInt32BE(int, 0); break;
    case 'float32': buf.writeFloatBE(value, 0); break;
  }
  return toWords(buf, wordOrder);
}

export type EnergyUnit = 'Wh' | 'kWh';

/**
 * A scale written in decimal (0.01, 0.1, 1, 10) as an exact fraction of Wh per count:
 * `numerator / 10^shift` Wh. Scales that are not a power of ten times an integer with at most
 * 9 significant digits are refused by the register-map validator.
 */
export function whPerCount(scale: number, unit: EnergyUnit): { numerator: bigint; shift: number } {
  const text = scale.toExponential(); // e.g. "1e-2", "2.5e-1"
  const match = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match || !(scale > 0)) throw new ModbusError('VALUE_INVALID', `scale ${scale} is not a positive decimal`, { scale });
  const digits = match[1]! + (match[2] ?? '');
  let exponent = Number(match[3]) - (digits.length - 1) + (unit === 'kWh' ? 3 : 0);
  let numerator = BigInt(digits);
  if (exponent >= 0) {
    numerator *= 10n ** BigInt(exponent);
    exponent = 0;
  }
  return { numerator, shift: -exponent };
}

/**
 * Integer Wh of an energy register. Integer registers convert exactly; a resolution finer than
 * 1 Wh is floored, so a cumulative register is never counted ahead of the meter. A float32
 * register is rounded to the nearest Wh: its value is the meter's decimal kWh figure as the
 * nearest float32, which may lie just below it (1234.56 kWh is stored as 1234.5599…), and a
 * float32 has 24 significant bits, so from 16 384 kWh on its own step is 1.95 Wh (7.8 Wh at
 * 100 000 kWh): the reading is then as precise as the meter's register, no more.
 */
export function energyToWh(raw: number, type: DataType, scale: number, unit: EnergyUnit): number {
  if (!Number.isFinite(raw) || raw < 0) throw new ModbusError('VALUE_INVALID', `energy register holds ${raw}, not a non-negative number`, { raw });
  if (type === 'float32') {
    const wh = Math.round(raw * scale * (unit === 'kWh' ? 1000 : 1));
    if (!Number.isSafeInteger(wh)) throw new ModbusError('VALUE_INVALID', `energy ${raw} ${unit} is out of range`, { raw });
    return wh;
  }
  const { numerator, shift } = whPerCount(scale, unit);
  const wh = (BigInt(raw) * numerator) / 10n ** BigInt(shift);
  return Number(wh);
}

/** The register value that reads as `wh` (simulators): the inverse of energyToWh, floored to the register's resolution. */
export function whToRaw(wh: number, type: DataType, scale: number, unit: EnergyUnit): number {
  if (type === 'float32') return wh / (scale * (unit === 'kWh' ? 1000 : 1));
  const { numerator, shift } = whPerCount(scale, unit);
  return Number((BigInt(Math.floor(wh)) * 10n ** BigInt(shift)) / numerator);
}
