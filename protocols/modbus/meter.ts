// A meter as its register map describes it: which requests read its energy, instantaneous values
// and relay state, how their registers turn into values, and which request switches its relay.
// Pure: requests go out through a `transact` function the caller provides (a serial bus queue or
// a TCP endpoint), so the same logic serves Modbus RTU and Modbus TCP.
//
//   points ─▶ planReads (merge touching points) ─▶ transact ─▶ decode per point
import { ModbusError } from './errors.js';
import type { ModbusRequest, ModbusResponse } from './pdu.js';
import type { MeasurementPoint, RegisterMap, RelayStatePoint } from './register-map.js';
import { decodeValue, energyToWh, registerCount } from './values.js';

export type Transact = (request: ModbusRequest, what: string) => Promise<ModbusResponse>;

export type PointKey = 'forwardActiveEnergy' | 'voltage' | 'current' | 'activePower' | 'relayState';

interface Span {
  key: PointKey;
  table: 'coil' | 'discrete' | 'input' | 'holding';
  address: number;
  count: number;
}

export interface PlannedRead {
  request: Extract<ModbusRequest, { quantity: number }>;
  points: Array<{ key: PointKey; offset: number; count: number }>;
}

const READ_FUNCTION = {
  coil: 'readCoils', discrete: 'readDiscreteInputs', input: 'readInputRegisters', holding: 'readHoldingRegisters',
} as const;

function spanOf(map: RegisterMap, key: PointKey): Span | undefined {
  const point = map.registers[key];
  if (!point) return undefined;
  const count = 'type' in point ? registerCount(point.type) : 1;
  return { key, table: point.function, address: point.address, count };
}

/**
 * The reads that fetch `keys`: points of one table that touch or overlap share one read of at most
 * `maxReadRegisters`; points with a gap between them are read apart, because a meter may answer a
 * read that covers an address it does not have with exception 02 (§7, ILLEGAL DATA ADDRESS).
 */
export function planReads(map: RegisterMap, keys: readonly PointKey[]): PlannedRead[] {
  const spans = keys.map((k) => spanOf(map, k)).filter((s): s is Span => s !== undefined)
    .sort((a, b) => a.table.localeCompare(b.table) || a.address - b.address);
  const reads: PlannedRead[] = [];
  let current: { table: Span['table']; start: number; end: number; spans: Span[] } | undefined;
  const close = () => {
    if (!current) return;
    const { table, start, end, spans: members } = current;
    reads.push({
      request: { function: READ_FUNCTION[table], address: start, quantity: end - start },
      points: members.map((s) => ({ key: s.key, offset: s.address - start, count: s.count })),
    });
    current = undefined;
  };
  for (const s of spans) {
    if (current && current.table === s.table && s.address <= current.end && Math.max(current.end, s.address + s.count) - current.start <= map.maxReadRegisters) {
      current.end = Math.max(current.end, s.address + s.count);
      current.spans.push(s);
      continue;
    }
    close();
    current = { table: s.table, start: s.address, end: s.address + s.count, spans: [s] };
  }
  close();
  // In the order asked for: energy first when it was asked first.
  const rank = (read: PlannedRead) => Math.min(...read.points.map((p) => keys.indexOf(p.key)));
  return reads.sort((a, b) => rank(a) - rank(b));
}

export function describeRead(request: PlannedRead['request'], keys: readonly string[]): string {
  const table = { readCoils: 'coil', readDiscreteInputs: 'discrete input', readInputRegisters: 'input register', readHoldingRegisters: 'holding register' }[request.function];
  const first = `0x${request.address.toString(16).toUpperCase().padStart(4, '0')}`;
  const last = `0x${(request.address + request.quantity - 1).toString(16).toUpperCase().padStart(4, '0')}`;
  return `${table}${request.quantity > 1 ? `s ${first}..${last}` : ` ${first}`} (${keys.join(', ')})`;
}

export function relayStateOf(point: RelayStatePoint, raw: number): 'open' | 'closed' {
  if (raw === point.closed) return 'closed';
  if (raw === point.open) return 'open';
  throw new ModbusError('VALUE_INVALID', `relay state ${point.function} 0x${point.address.toString(16).toUpperCase().padStart(4, '0')} holds ${raw}, expected ${point.open} (open) or ${point.closed} (closed)`, {
    address: point.address, raw,
  });
}

export interface MeterReadout {
  /** forward active energy, integer Wh (see values.ts energyToWh for the rounding) */
  energyWh?: number;
  relay?: 'open' | 'closed';
  voltageV?: number;
  currentA?: number;
  activePowerW?: number;
}

function measurement(point: MeasurementPoint, words: number[]): number {
  return decodeValue(words, point.type, point.wordOrder) * point.scale;
}

/** Reads the points `keys` of a meter and decodes them. */
export async function readPoints(map: RegisterMap, keys: readonly PointKey[], transact: Transact): Promise<MeterReadout> {
  const out: MeterReadout = {};
  for (const read of planReads(map, keys)) {
    const response = await transact(read.request, describeRead(read.request, read.points.map((p) => p.key)));
    const values = 'registers' in response ? response.registers : 'bits' in response ? response.bits.map((b) => (b ? 1 : 0)) : [];
    for (const p of read.points) {
      const words = values.slice(p.offset, p.offset + p.count);
      switch (p.key) {
        case 'forwardActiveEnergy': {
          const e = map.registers.forwardActiveEnergy;
          out.energyWh = energyToWh(decodeValue(words, e.type, e.wordOrder), e.type, e.scale, e.unit);
          break;
        }
        case 'relayState':
          out.relay = relayStateOf(map.registers.relayState!, words[0]!);
          break;
        case 'voltage':
          out.voltageV = measurement(map.registers.voltage!, words);
          break;
        case 'current':
          out.currentA = measurement(map.registers.current!, words);
          break;
        case 'activePower': {
          const p = map.registers.activePower!;
          out.activePowerW = measurement(p, words) * (p.unit === 'kW' ? 1000 : 1);
          break;
        }
      }
    }
  }
  return out;
}

/** The request that switches the relay, or undefined when the map has no relay control. */
export function relayWriteRequest(map: RegisterMap, action: 'open' | 'close'): ModbusRequest | undefined {
  const control = map.relayControl;
  if (!control) return undefined;
  const value = action === 'open' ? control.open : control.close;
  if (control.function === 'coil') {
    return control.write === 'multiple'
      ? { function: 'writeMultipleCoils', address: control.address, values: [value === 1] }
      : { function: 'writeSingleCoil', address: control.address, value: value === 1 };
  }
  return control.write === 'multiple'
    ? { function: 'writeMultipleRegisters', address: control.address, values: [value] }
    : { function: 'writeSingleRegister', address: control.address, value };
}
