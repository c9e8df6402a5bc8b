// Register maps: which registers of a meter model hold forward active energy, voltage, current,
// power and the relay state, and how its relay is switched — kept as data (registermaps/*.json)
// and validated here, so a misconfigured map is refused with the file and the key at fault.
// Function names follow Modbus Application Protocol V1.1b3 §4.3 (data model: discrete inputs,
// coils, input registers, holding registers); addresses are the 0-based PDU addresses of §4.4.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { ModbusError } from './errors.js';
import { registerCount, whPerCount, type DataType, type WordOrder } from './values.js';

const Address = Type.Integer({ minimum: 0, maximum: 0xffff, description: '0-based PDU address (register 30001 is input register 0)' });
const Word = Type.Integer({ minimum: 0, maximum: 0xffff });
const DataTypeSchema = Type.Union([Type.Literal('uint16'), Type.Literal('int16'), Type.Literal('uint32'), Type.Literal('int32'), Type.Literal('float32')]);
const WordOrderSchema = Type.Union([Type.Literal('high-first'), Type.Literal('low-first')], {
  default: 'high-first', description: 'high-first = ABCD (most significant register first), low-first = CDAB',
});
const Scale = Type.Number({ exclusiveMinimum: 0, default: 1, description: 'value = register × scale, in `unit`' });

const measurement = <U extends TSchema>(unit: U) => Type.Object({
  function: Type.Union([Type.Literal('input'), Type.Literal('holding')]),
  address: Address,
  type: DataTypeSchema,
  wordOrder: WordOrderSchema,
  scale: Scale,
  unit,
}, { additionalProperties: false });

const Energy = measurement(Type.Union([Type.Literal('Wh'), Type.Literal('kWh')]));

const RelayState = Type.Object({
  function: Type.Union([Type.Literal('coil'), Type.Literal('discrete'), Type.Literal('input'), Type.Literal('holding')]),
  address: Address,
  open: Word,
  closed: Word,
}, { additionalProperties: false, description: 'where the actual relay state is read, and the values meaning open and closed' });

const RelayControl = Type.Object({
  function: Type.Union([Type.Literal('coil'), Type.Literal('holding')]),
  address: Address,
  write: Type.Union([Type.Literal('single'), Type.Literal('multiple')], {
    default: 'single', description: 'single = function 05/06; multiple = 0F/10, for meters that only accept those',
  }),
  open: Word,
  close: Word,
}, { additionalProperties: false, description: 'how the relay is switched: the register or coil and the values to write' });

export const RegisterMapSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]*$', description: 'the file name without .json' }),
  model: Type.String({ minLength: 1 }),
  source: Type.String({ minLength: 10, description: 'the manual (name and version) the registers come from' }),
  notes: Type.Optional(Type.Array(Type.String())),
  maxReadRegisters: Type.Integer({ minimum: 1, maximum: 125, default: 125, description: 'the most registers one read may ask for' }),
  registers: Type.Object({
    forwardActiveEnergy: Energy,
    voltage: Type.Optional(measurement(Type.Literal('V'))),
    current: Type.Optional(measurement(Type.Literal('A'))),
    activePower: Type.Optional(measurement(Type.Union([Type.Literal('W'), Type.Literal('kW')]))),
    relayState: Type.Optional(RelayState),
  }, { additionalProperties: false }),
  relayControl: Type.Optional(RelayControl),
}, { additionalProperties: false });

export type RegisterMap = Static<typeof RegisterMapSchema>;
type Registers = RegisterMap['registers'];
export type MeasurementPoint = Registers['forwardActiveEnergy'] | NonNullable<Registers['voltage'] | Registers['current'] | Registers['activePower']>;
export type RelayStatePoint = NonNullable<RegisterMap['registers']['relayState']>;
export type RelayControlPoint = NonNullable<RegisterMap['relayControl']>;
export type { DataType, WordOrder };

function describe(error: ValueError): { path: string; message: string; value: unknown } {
  const anyOf = (error.schema as { anyOf?: TSchema[] }).anyOf as Array<{ const?: unknown }> | undefined;
  if (anyOf && anyOf.every((b) => b.const !== undefined)) {
    return { path: error.path, message: `expected one of ${anyOf.map((b) => JSON.stringify(b.const)).join(', ')}`, value: error.value };
  }
  return { path: error.path, message: error.message, value: error.value };
}

function refuse(file: string, path: string, message: string, value?: unknown): ModbusError {
  const key = path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
  const got = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
  return new ModbusError('MAP_INVALID', `register map ${file}: key "${key}": ${message}${got}`, { file, key });
}

/**
 * Validates parsed JSON as the register map `expectedName` read from `file`, filling defaults.
 * Throws MAP_INVALID naming the file and the key.
 */
export function validateRegisterMap(raw: unknown, file: string, expectedName: string): RegisterMap {
  const value = Value.Default(RegisterMapSchema, structuredClone(raw));
  const errors = [...Value.Errors(RegisterMapSchema, value)];
  if (errors.length > 0) {
    const first = describe(errors.sort((a, b) => b.path.length - a.path.length)[0]!);
    throw refuse(file, first.path, first.message, first.value);
  }
  const map = value as RegisterMap;
  if (map.name !== expectedName) throw refuse(file, '/name', `must be the file name "${expectedName}"`, map.name);

  const energy = map.registers.forwardActiveEnergy;
  if (energy.type === 'int16') throw refuse(file, '/registers/forwardActiveEnergy/type', 'a cumulative energy register cannot be int16', energy.type);
  if (energy.type !== 'float32') {
    const digits = energy.scale.toExponential().replace(/e.*$/, '').replace('.', '');
    if (digits.length > 9) throw refuse(file, '/registers/forwardActiveEnergy/scale', 'must be a decimal with at most 9 significant digits, so Wh are exact', energy.scale);
    whPerCount(energy.scale, energy.unit);
  }
  for (const [key, point] of Object.entries(map.registers)) {
    if (!point) continue;
    const count = 'type' in point ? registerCount(point.type as DataType) : 1;
    if (point.address + count > 0x10000) throw refuse(file, `/registers/${key}/address`, `${count} registers from here run past 65535`, point.address);
  }
  if (map.registers.relayState) checkOpenClosed(file, '/registers/relayState', map.registers.relayState.function, map.registers.relayState.open, map.registers.relayState.closed);
  if (map.relayControl) {
    checkOpenClosed(file, '/relayControl', map.relayControl.function, map.relayControl.open, map.relayControl.close);
    if (!map.registers.relayState) {
      throw refuse(file, '/registers/relayState', 'is required with relayControl: a relay command is confirmed only by reading the relay back');
    }
  }
  return map;
}

function checkOpenClosed(file: string, path: string, fn: string, open: number, closed: number): void {
  const bit = fn === 'coil' || fn === 'discrete';
  const closedKey = path === '/relayControl' ? 'close' : 'closed';
  if (bit && open > 1) throw refuse(file, `${path}/open`, `a ${fn} is 0 or 1`, open);
  if (bit && closed > 1) throw refuse(file, `${path}/${closedKey}`, `a ${fn} is 0 or 1`, closed);
  if (open === closed) throw refuse(file, `${path}/${closedKey}`, 'must differ from open', closed);
}
