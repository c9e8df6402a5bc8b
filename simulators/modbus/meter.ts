// A simulated Modbus meter driven by a register map: its registers hold forward active energy
// (advancing under load while the relay is closed), voltage, current, power and the relay state,
// encoded exactly as the map says; writes to the map's relay control switch the relay. Reads of
// addresses the map does not name answer exception 02, unknown functions exception 01, as a real
// meter does (Modbus Application Protocol V1.1b3 §7).
import { encodeValue, whToRaw, type MeasurementPoint, type ModbusRequest, type RegisterMap } from '../../protocols/modbus/index.js';
import { EnergyRegisters } from '../dlt645/energy.js';
import type { ModbusBehaviour } from './behaviours.js';
import { exceptionReply, type SimReply } from './reply.js';

export interface SimModbusMeterOptions {
  /** Unit id 1..247 (Modbus over Serial Line V1.02 §2.3). */
  unit: number;
  map: RegisterMap;
  /** Forward active energy at start, Wh. Default 0. */
  energyWh?: number;
  /** Load while the relay is closed, W (0..60 000). Default 0. */
  loadW?: number;
  voltageV?: number;
  relay?: 'open' | 'closed';
  behaviours?: ModbusBehaviour[];
}

export interface RelayWrite {
  at: Date;
  action: 'open' | 'close';
  function: ModbusRequest['function'];
}

type Table = 'coil' | 'discrete' | 'input' | 'holding';

const MAX_LOAD_W = 60_000;
const ILLEGAL_FUNCTION = 0x01;
const ILLEGAL_DATA_ADDRESS = 0x02;
const ILLEGAL_DATA_VALUE = 0x03;

export class SimModbusMeter {
  readonly unit: number;
  readonly map: RegisterMap;
  readonly energy: EnergyRegisters;
  /** Every relay write the meter took, in order. */
  readonly relayWrites: RelayWrite[] = [];
  /** Requests answered, by function name. */
  readonly requests = new Map<string, number>();
  voltageV: number;
  private relay: 'open' | 'closed';
  private loadWatts: number;
  private integratedUntil: number;
  private behaviourList: ModbusBehaviour[];

  constructor(options: SimModbusMeterOptions, private readonly clock: () => number = Date.now) {
    if (!Number.isInteger(options.unit) || options.unit < 1 || options.unit > 247) throw new RangeError(`unit id must be 1..247, got ${options.unit}`);
    this.unit = options.unit;
    this.map = options.map;
    this.energy = new EnergyRegisters({ totalWh: options.energyWh ?? 0 });
    this.voltageV = options.voltageV ?? 220;
    this.relay = options.relay ?? 'closed';
    this.loadWatts = checkLoad(options.loadW ?? 0);
    this.integratedUntil = clock();
    this.behaviourList = [...(options.behaviours ?? [])];
  }

  private sync(): void {
    const now = this.clock();
    if (this.relay === 'closed') this.energy.advance(this.integratedUntil, now, this.loadWatts, () => 3);
    this.integratedUntil = Math.max(this.integratedUntil, now);
  }

  get energyWh(): number {
    this.sync();
    return this.energy.totalWh;
  }

  get loadW(): number {
    return this.loadWatts;
  }

  setLoad(watts: number): void {
    this.sync();
    this.loadWatts = checkLoad(watts);
  }

  get relayState(): 'open' | 'closed' {
    return this.relay;
  }

  /** Switches the relay by hand (a meter's own button, or a test setting the scene). */
  setRelay(state: 'open' | 'closed'): void {
    this.sync();
    this.relay = state;
  }

  get powerW(): number {
    return this.relay === 'closed' ? this.loadWatts : 0;
  }

  addBehaviour(behaviour: ModbusBehaviour): () => void {
    this.behaviourList.unshift(behaviour);
    return () => {
      this.behaviourList = this.behaviourList.filter((b) => b !== behaviour);
    };
  }

  clearBehaviours(): void {
    this.behaviourList = [];
  }

  /** The answer to `request`: behaviours first, then the model. */
  handle(request: ModbusRequest): SimReply {
    this.requests.set(request.function, (this.requests.get(request.function) ?? 0) + 1);
    for (const behaviour of this.behaviourList) {
      const reply = behaviour.onRequest(request, this);
      if (reply === undefined) continue;
      if (behaviour.once) this.behaviourList = this.behaviourList.filter((b) => b !== behaviour);
      return reply;
    }
    return this.defaultReply(request);
  }

  /** What the model answers (and does) for `request`, without behaviours. */
  defaultReply(request: ModbusRequest): SimReply {
    switch (request.function) {
      case 'readCoils':
      case 'readDiscreteInputs': {
        const words = this.read(request.function === 'readCoils' ? 'coil' : 'discrete', request.address, request.quantity);
        return words ? { kind: 'response', response: { function: request.function, bits: words.map((w) => w === 1) } } : exceptionReply(ILLEGAL_DATA_ADDRESS);
      }
      case 'readHoldingRegisters':
      case 'readInputRegisters': {
        const words = this.read(request.function === 'readHoldingRegisters' ? 'holding' : 'input', request.address, request.quantity);
        return words ? { kind: 'response', response: { function: request.function, registers: words } } : exceptionReply(ILLEGAL_DATA_ADDRESS);
      }
      case 'writeSingleCoil':
        return this.write(request, 'coil', request.value ? 1 : 0, { function: request.function, address: request.address, value: request.value });
      case 'writeMultipleCoils':
        if (request.values.length !== 1) return exceptionReply(ILLEGAL_DATA_ADDRESS);
        return this.write(request, 'coil', request.values[0] ? 1 : 0, { function: request.function, address: request.address, quantity: 1 });
      case 'writeSingleRegister':
        return this.write(request, 'holding', request.value, { function: request.function, address: request.address, value: request.value });
      case 'writeMultipleRegisters':
        if (request.values.length !== 1) return exceptionReply(ILLEGAL_DATA_ADDRESS);
        return this.write(request, 'holding', request.values[0]!, { function: request.function, address: request.address, quantity: 1 });
    }
  }

  /** Applies a relay write if it is one; answers as the map's meter would. */
  private write(request: ModbusRequest, table: 'coil' | 'holding', value: number, echo: Extract<SimReply, { kind: 'response' }>['response']): SimReply {
    const control = this.map.relayControl;
    if (!control || control.function !== table || control.address !== request.address) return exceptionReply(ILLEGAL_DATA_ADDRESS);
    const multiple = request.function === 'writeMultipleCoils' || request.function === 'writeMultipleRegisters';
    // A meter that only takes function 0F/10 (the DDS238 family) refuses 05/06 as unknown.
    if (control.write === 'multiple' && !multiple) return exceptionReply(ILLEGAL_FUNCTION);
    if (value !== control.open && value !== control.close) return exceptionReply(ILLEGAL_DATA_VALUE);
    const action = value === control.close ? 'close' : 'open';
    this.setRelay(action === 'close' ? 'closed' : 'open');
    this.relayWrites.push({ at: new Date(this.clock()), action, function: request.function });
    return { kind: 'response', response: echo };
  }

  /** Words (bits as 0/1) of `quantity` addresses of `table`, or undefined when one is not in the map. */
  read(table: Table, address: number, quantity: number): number[] | undefined {
    const image = this.image(table);
    const out: number[] = [];
    for (let a = address; a < address + quantity; a++) {
      const word = image.get(a);
      if (word === undefined) return undefined;
      out.push(word);
    }
    return out;
  }

  /** The current register image of one table, from the model's state. */
  private image(table: Table): Map<number, number> {
    this.sync();
    const image = new Map<number, number>();
    const put = (address: number, words: number[]) => words.forEach((w, i) => image.set(address + i, w));
    const { registers, relayControl } = this.map;
    const measure = (point: MeasurementPoint | undefined, value: number) => {
      if (point && point.function === table) put(point.address, encodeValue(toRaw(point, value), point.type, point.wordOrder));
    };
    const energy = registers.forwardActiveEnergy;
    if (energy.function === table) put(energy.address, encodeValue(energyRaw(energy, this.energy.totalWh), energy.type, energy.wordOrder));
    measure(registers.voltage, this.voltageV);
    measure(registers.current, this.voltageV > 0 ? this.powerW / this.voltageV : 0);
    measure(registers.activePower, registers.activePower?.unit === 'kW' ? this.powerW / 1000 : this.powerW);
    if (relayControl && relayControl.function === table) put(relayControl.address, [this.relay === 'closed' ? relayControl.close : relayControl.open]);
    const state = registers.relayState;
    if (state && state.function === table) put(state.address, [this.relay === 'closed' ? state.closed : state.open]);
    return image;
  }
}

const RANGES = { uint16: [0, 0xffff], int16: [-0x8000, 0x7fff], uint32: [0, 0xffffffff], int32: [-0x80000000, 0x7fffffff] } as const;

/** A measurement as its register holds it; like a real meter's, a register saturates at its type's limits. */
function toRaw(point: MeasurementPoint, value: number): number {
  const raw = value / point.scale;
  if (point.type === 'float32') return raw;
  const [min, max] = RANGES[point.type];
  return Math.min(max, Math.max(min, Math.round(raw)));
}

/** An energy register as the meter holds it: an integer counter rolls over at its type's size. */
function energyRaw(point: MeasurementPoint, wh: number): number {
  const raw = whToRaw(wh, point.type, point.scale, point.unit as 'Wh' | 'kWh');
  if (point.type === 'float32') return raw;
  return raw % (RANGES[point.type][1] + 1);
}

function checkLoad(watts: number): number {
  if (!(watts >= 0 && watts <= MAX_LOAD_W)) throw new RangeError(`load must be 0..${MAX_LOAD_W} W, got ${watts}`);
  return watts;
}
