// A simulated Modbus TCP endpoint with meters behind it (a meter with an Ethernet port, or a
// Modbus TCP gateway in front of an RS-485 line): modbus-serial's ServerTCP does the MBAP framing
// (Modbus Messaging on TCP/IP Implementation Guide V1.0b), and every register it asks for comes
// from the simulated meter of that unit id, behaviours included.
//
//   head-end ─MBAP─▶ ServerTCP ─getInputRegister(addr, unit)…─▶ SimModbusMeter.handle(request)
//                                 ◀─ words | rejected {modbusErrorCode} | never (silence)
//
// A unit id with no meter answers exception 0B (gateway target device failed to respond, Modbus
// Application Protocol V1.1b3 §7). A wrong-CRC behaviour has nothing to corrupt on TCP and is
// sent as the normal answer; a delay is honoured.
import type { AddressInfo, Server } from 'node:net';
import modbusSerial from 'modbus-serial';
import type { ModbusRequest } from '../../protocols/modbus/index.js';
import { sleep } from '../dlt645/pacing.js';
import { SimModbusMeter, type SimModbusMeterOptions } from './meter.js';

export interface ModbusTcpServerOptions {
  host?: '127.0.0.1';
  /** 0 (default) picks a free port. */
  port?: number;
  meters: SimModbusMeterOptions[];
  clock?: () => number;
}

export interface SimModbusTcpServer {
  host: string;
  port: number;
  meters: Map<number, SimModbusMeter>;
  meter(unit: number): SimModbusMeter;
  /** Requests that reached a meter (any unit), and those for units not here. */
  readonly stats: { requests: number; unknownUnit: number };
  close(): Promise<void>;
}

const GATEWAY_TARGET_FAILED = 0x0b;
const OPEN_TIMEOUT_MS = 5_000;

class ModbusReject extends Error {
  constructor(readonly modbusErrorCode: number) {
    super(`Modbus exception ${modbusErrorCode}`);
  }
}

export async function startModbusTcpServer(options: ModbusTcpServerOptions): Promise<SimModbusTcpServer> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? Date.now;
  const meters = new Map<number, SimModbusMeter>();
  for (const m of options.meters) {
    if (meters.has(m.unit)) throw new RangeError(`unit ${m.unit} is on the endpoint twice`);
    meters.set(m.unit, new SimModbusMeter(m, clock));
  }
  const stats = { requests: 0, unknownUnit: 0 };
  const abort = new AbortController();
  const never = new Promise<never>(() => {});

  /** The model's answer, as ServerTCP wants it: a value, a rejection, or a promise that never settles. */
  const answer = async <T>(unit: number, request: ModbusRequest, pick: (reply: Extract<ReturnType<SimModbusMeter['handle']>, { kind: 'response' }>) => T): Promise<T> => {
    const meter = meters.get(unit);
    if (!meter) {
      stats.unknownUnit++;
      throw new ModbusReject(GATEWAY_TARGET_FAILED);
    }
    stats.requests++;
    const reply = meter.handle(request);
    if (reply.kind === 'silent') return never;
    if (reply.delayMs) await sleep(reply.delayMs, abort.signal);
    if (reply.kind === 'exception') throw new ModbusReject(reply.exceptionCode);
    return pick(reply);
  };
  const words = (unit: number, request: Extract<ModbusRequest, { quantity: number }>) =>
    answer(unit, request, (r) => ('registers' in r.response ? r.response.registers : 'bits' in r.response ? r.response.bits.map(Number) : []));
  /** ServerTCP checks the length of a multi-register answer at once; each element may be a promise. */
  const spread = (all: Promise<number[]>, length: number) => {
    all.catch(() => {});
    return Array.from({ length }, (_, i) => all.then((w) => w[i]!));
  };

  const vector = {
    getInputRegister: (addr: number, unit: number) => words(unit, { function: 'readInputRegisters', address: addr, quantity: 1 }).then((w) => w[0]!),
    getHoldingRegister: (addr: number, unit: number) => words(unit, { function: 'readHoldingRegisters', address: addr, quantity: 1 }).then((w) => w[0]!),
    getMultipleInputRegisters: (addr: number, length: number, unit: number) =>
      spread(words(unit, { function: 'readInputRegisters', address: addr, quantity: length }), length),
    getMultipleHoldingRegisters: (addr: number, length: number, unit: number) =>
      spread(words(unit, { function: 'readHoldingRegisters', address: addr, quantity: length }), length),
    getCoil: (addr: number, unit: number) => words(unit, { function: 'readCoils', address: addr, quantity: 1 }).then((w) => w[0] === 1),
    getDiscreteInput: (addr: number, unit: number) => words(unit, { function: 'readDiscreteInputs', address: addr, quantity: 1 }).then((w) => w[0] === 1),
    setCoil: (addr: number, value: boolean, unit: number) => answer(unit, { function: 'writeSingleCoil', address: addr, value }, () => undefined),
    setRegister: (addr: number, value: number, unit: number) => answer(unit, { function: 'writeSingleRegister', address: addr, value }, () => undefined),
    setRegisterArray: (addr: number, values: number[], unit: number) => answer(unit, { function: 'writeMultipleRegisters', address: addr, values }, () => undefined),
  };

  const server = new modbusSerial.ServerTCP(vector, { host, port: options.port ?? 0, unitID: 255 });
  server.on('socketError', () => {});
  server.on('error', () => {});
  // ServerTCP keeps its net.Server private; the bound port (for port 0) is read from it.
  const net = (server as unknown as { _server: Server })._server;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Modbus TCP simulator did not listen within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
    server.on('initialized', () => {
      clearTimeout(timer);
      resolve();
    });
    server.on('serverError', (err: Error | null) => {
      clearTimeout(timer);
      reject(err ?? new Error('Modbus TCP simulator failed to listen'));
    });
  });
  const port = (net.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    meters,
    stats,
    meter(unit: number): SimModbusMeter {
      const meter = meters.get(unit);
      if (!meter) throw new Error(`no meter with unit ${unit} here (have ${[...meters.keys()].join(', ')})`);
      return meter;
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        abort.abort();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
