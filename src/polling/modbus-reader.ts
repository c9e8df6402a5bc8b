// Modbus meters for collection and commands: Modbus RTU exchanges on a serial bus or DTU (the same
// queue as DL/T 645 when one line carries both) and Modbus TCP endpoints (modbus-serial's client
// behind a queue of its own), read and written as each meter's register map says. Knows no accounts.
//
//   ModbusReader.read ─▶ ModbusMeters ─▶ register map ─▶ planReads ─▶ ModbusLine.transact
//       RtuLine:  encodeRtuFrame ─▶ Bus.request (priority) ─▶ RtuReplyReceiver ─▶ decodeResponse
//       TcpLine:  ModbusTcpClient.transact (priority) ─▶ ModbusResponse
//
// Errors name the meter, its unit id, the bus and the registers: BUS_TIMEOUT (no reply), BUS_CLOSED
// (link down or closing), MODBUS_EXCEPTION (Modbus Application Protocol V1.1b3 §7), FRAME_CRC
// (Modbus over Serial Line V1.02 §2.5.1.2), FRAME_INVALID, VALUE_INVALID, MAP_INVALID.
import {
  FunctionCode, ModbusError, ModbusTcpClient, RtuParser, decodeResponse, encodeRequest, encodeRtuFrame, exceptionName, isModbusError,
  readPoints, type MeterReadout, type ModbusRequest, type ModbusResponse, type PointKey, type RegisterMap,
} from '../../protocols/modbus/index.js';
import { busFraming, type Config } from '../config/schema.js';
import type { MeterRow } from '../db/repo/index.js';
import { AppError } from '../errors.js';
import type { RegisterMaps } from '../registermaps.js';
import type { Bus, Priority, Receiver } from './bus.js';
import type { MeterReader, MeterValues } from './meter-reader.js';
import type { LiveValue } from '../live-values.js';

/** Modbus TCP: Modbus Messaging on TCP/IP Implementation Guide V1.0b §4.4.1, port 502. */
export const MODBUS_TCP_PORT = 502;

export interface ModbusLine {
  readonly busId: string;
  readonly protocol: 'modbus-rtu' | 'modbus-tcp';
  transact(unit: number, request: ModbusRequest, label: string, priority: Priority): Promise<ModbusResponse>;
  close(): Promise<void>;
}

/** Length of the normal RTU reply to `request`: unit + PDU + CRC. */
function replyLength(request: ModbusRequest): number {
  switch (request.function) {
    case 'readCoils':
    case 'readDiscreteInputs': return 5 + Math.ceil(request.quantity / 8);
    case 'readHoldingRegisters':
    case 'readInputRegisters': return 5 + 2 * request.quantity;
    default: return 8;
  }
}

function detail(err: ModbusError): string {
  return err.code === 'MODBUS_EXCEPTION' ? `exception ${String(err.context.exceptionCode)} (${exceptionName(Number(err.context.exceptionCode))})` : err.message;
}

/** Waits for the reply of `unit` to `request`; other bytes on the line are counted as discarded. */
class RtuReplyReceiver implements Receiver<ModbusResponse> {
  private readonly parser: RtuParser;
  private readonly fn: number;
  constructor(private readonly bus: Bus, private readonly unit: number, private readonly request: ModbusRequest, private readonly label: string) {
    this.fn = FunctionCode[request.function];
    this.parser = new RtuParser('response', { unit, functionCode: this.fn });
  }

  push(chunk: Buffer): ModbusResponse | undefined {
    for (const event of this.parser.push(chunk)) {
      if (event.kind === 'discarded') {
        this.bus.stats.discardedBytes += event.bytes.length;
        if (event.reason !== 'crc') continue;
        this.bus.stats.checksumFailures++;
        // Modbus over Serial Line V1.02 §2.4.1: an error in the awaited frame ends the wait.
        if (event.bytes[0] === this.unit && ((event.bytes[1] ?? 0) & 0x7f) === this.fn) {
          throw new ModbusError('FRAME_CRC', `${this.label} on bus ${this.bus.id}: the reply's CRC is wrong (${event.bytes.toString('hex')})`, {
            bus: this.bus.id, unit: this.unit, label: this.label,
          });
        }
        continue;
      }
      // The parser starts frames only at this unit and function: this is the awaited reply.
      try {
        return decodeResponse(this.request, event.pdu);
      } catch (err) {
        if (!isModbusError(err)) throw err;
        throw new ModbusError(err.code, `${this.label} on bus ${this.bus.id}: ${detail(err)}`, { ...err.context, bus: this.bus.id, unit: this.unit, label: this.label });
      }
    }
    return undefined;
  }

  remainingBytes(): number {
    return Math.max(0, replyLength(this.request) - this.parser.pending);
  }
}

/** Modbus RTU on a serial bus or DTU: exchanges join the bus's queue, whatever else it carries. */
export class RtuLine implements ModbusLine {
  readonly protocol = 'modbus-rtu';
  constructor(private readonly bus: Bus, private readonly responseTimeoutMs: number) {}

  get busId(): string {
    return this.bus.id;
  }

  async transact(unit: number, request: ModbusRequest, label: string, priority: Priority): Promise<ModbusResponse> {
    const reply = await this.bus.request({
      label, request: encodeRtuFrame(unit, encodeRequest(request)), receiver: new RtuReplyReceiver(this.bus, unit, request, label),
      timeoutMs: this.bus.firstByteTimeoutMs(this.responseTimeoutMs), priority,
    });
    return reply!;
  }

  async close(): Promise<void> {
    // The bus belongs to the daemon, which closes it.
  }
}

/** A Modbus TCP endpoint; its client's timeouts and closes read as the bus errors collection knows. */
export class TcpLine implements ModbusLine {
  readonly protocol = 'modbus-tcp';
  constructor(readonly client: ModbusTcpClient) {}

  get busId(): string {
    return this.client.id;
  }

  async transact(unit: number, request: ModbusRequest, label: string, priority: Priority): Promise<ModbusResponse> {
    try {
      return await this.client.transact(unit, request, label, priority);
    } catch (err) {
      if (!isModbusError(err)) throw err;
      const context = { ...err.context, bus: this.busId, unit, label };
      if (err.code === 'MODBUS_TIMEOUT') throw new AppError('BUS_TIMEOUT', err.message, { ...context, reason: 'no-reply' });
      if (err.code === 'MODBUS_UNREACHABLE') throw new AppError('BUS_CLOSED', err.message, { ...context, reason: err.context.reason ?? 'link-down' });
      throw err;
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** The Modbus lines of the configured buses: RTU on buses whose framing has modbus-rtu, and every modbus-tcp endpoint. */
export function createModbusLines(config: Config, buses: ReadonlyMap<string, Bus>): Map<string, ModbusLine> {
  const lines = new Map<string, ModbusLine>();
  const { responseTimeoutMs, connectTimeoutMs } = config.modbus;
  for (const b of config.buses) {
    if (b.kind === 'modbus-tcp') {
      lines.set(b.id, new TcpLine(new ModbusTcpClient(b.id, { host: b.host, port: b.port ?? MODBUS_TCP_PORT, responseTimeoutMs, connectTimeoutMs })));
    } else if (busFraming(b).includes('modbus-rtu')) {
      const bus = buses.get(b.id);
      if (bus) lines.set(b.id, new RtuLine(bus, responseTimeoutMs));
    }
  }
  return lines;
}

/** A Modbus meter's line, unit id and register map, and the exchanges with it. */
export class ModbusMeters {
  constructor(private readonly lines: ReadonlyMap<string, ModbusLine>, private readonly maps: RegisterMaps, private readonly retries: number) {}

  mapOf(meter: MeterRow): RegisterMap {
    if (!meter.registerMap) throw new ModbusError('MAP_INVALID', `meter ${meter.id} has no register map`, { meter: meter.id });
    return this.maps.get(meter.registerMap);
  }

  private target(meter: MeterRow): { line: ModbusLine; unit: number; map: RegisterMap } {
    const line = meter.busId ? this.lines.get(meter.busId) : undefined;
    if (!line) throw new AppError('BUS_UNKNOWN', `meter ${meter.id} is on bus ${meter.busId ?? '(none)'}, which carries no Modbus`, { meter: meter.id, bus: meter.busId });
    const unit = Number(meter.address);
    if (!Number.isInteger(unit) || unit < 1 || unit > 247) throw new ModbusError('REQUEST_INVALID', `meter ${meter.id}: address ${meter.address} is not a unit id 1..247`, { meter: meter.id });
    return { line, unit, map: this.mapOf(meter) };
  }

  /** Reads `keys` of the meter's map; a read that got no reply (or a bad CRC) is tried again up to `retries` times. */
  async read(meter: MeterRow, keys: readonly PointKey[], priority: Priority): Promise<MeterReadout> {
    const { line, unit, map } = this.target(meter);
    // An offline meter is probed with a single attempt, so it does not eat the line.
    const retries = meter.online ? this.retries : 0;
    return readPoints(map, keys.filter((k) => map.registers[k] !== undefined), async (request, what) => {
      const label = `read ${what} of meter ${meter.id} (unit ${unit})`;
      for (let attempt = 0; ; attempt++) {
        try {
          return await line.transact(unit, request, label, priority);
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (attempt >= retries || (code !== 'BUS_TIMEOUT' && code !== 'FRAME_CRC')) throw err;
        }
      }
    });
  }

  /**
   * Sends one write, never repeated here: the command lifecycle reads the relay back before it
   * sends again, so a write that did reach the meter is not sent twice.
   */
  async write(meter: MeterRow, request: ModbusRequest, what: string): Promise<void> {
    const { line, unit } = this.target(meter);
    await line.transact(unit, request, `${what} of meter ${meter.id} (unit ${unit})`, 'command');
  }
}

/**
 * Collection for Modbus meters: forward active energy and, where the map has them, the relay
 * state and the live values (voltage, current, active power) — the same quantities a DL/T 645
 * profile gives.
 */
export class ModbusReader implements MeterReader {
  constructor(private readonly meters: ModbusMeters) {}

  async read(meter: MeterRow, priority: Priority): Promise<MeterValues> {
    const reading = await this.meters.read(meter, ['forwardActiveEnergy', 'relayState'], priority);
    // The live values after the reading, on their own: a failure there loses no energy.
    const map = this.meters.mapOf(meter);
    let values: typeof reading = reading;
    if (map.registers.voltage || map.registers.current || map.registers.activePower) {
      values = { ...reading, ...(await this.meters.read(meter, ['voltage', 'current', 'activePower'], priority).catch(() => ({}))) };
    }
    const live: LiveValue[] = [];
    if (values.voltageV !== undefined) live.push({ quantity: 'phaseAVoltage', value: values.voltageV });
    if (values.currentA !== undefined) live.push({ quantity: 'phaseACurrent', value: values.currentA });
    if (values.activePowerW !== undefined) live.push({ quantity: 'activePowerTotal', value: values.activePowerW / 1000 });
    return { energyWh: values.energyWh!, relay: values.relay ?? null, ...(live.length > 0 ? { live } : {}) };
  }
}
