// Behaviours: how a simulated Modbus meter departs from its model, installed by tests. Each looks
// at a request and either answers (a SimReply) or passes (undefined); the meter asks the newest
// first and the first that answers wins. `wrongCrc` and `delay` alter the model's own answer, so
// the meter still acts on the request (a relay write with a corrupted reply still switches).
import type { FunctionName, ModbusRequest } from '../../protocols/modbus/index.js';
import type { SimModbusMeter } from './meter.js';
import { SILENT, type SimReply } from './reply.js';

export interface ModbusBehaviour {
  name: string;
  onRequest(request: ModbusRequest, meter: SimModbusMeter): SimReply | undefined;
  /** Remove the behaviour after it has answered once. */
  once?: boolean;
}

export interface ModbusBehaviourOptions {
  /** Only requests for which this returns true are affected. Default: all. */
  when?: (request: ModbusRequest) => boolean;
  once?: boolean;
}

/** `when` helper: requests with one of these functions. */
export function forFunction(...names: FunctionName[]): (request: ModbusRequest) => boolean {
  return (request) => names.includes(request.function);
}

/** `when` helper: writes (relay commands). */
export const forWrites = forFunction('writeSingleCoil', 'writeSingleRegister', 'writeMultipleCoils', 'writeMultipleRegisters');

function define(name: string, options: ModbusBehaviourOptions, onRequest: ModbusBehaviour['onRequest']): ModbusBehaviour {
  const { when } = options;
  return { name, once: options.once ?? false, onRequest: (req, meter) => (when === undefined || when(req) ? onRequest(req, meter) : undefined) };
}

/** No answer at all (a meter switched off, a broken wire). */
export function silence(options: ModbusBehaviourOptions = {}): ModbusBehaviour {
  return define('silence', options, () => SILENT);
}

/** An exception response (Modbus Application Protocol V1.1b3 §7) instead of the answer; the request is not applied. */
export function exception(exceptionCode: number, options: ModbusBehaviourOptions = {}): ModbusBehaviour {
  return define(`exception ${exceptionCode}`, options, () => ({ kind: 'exception', exceptionCode }));
}

/** The model's answer with its CRC broken (RTU only; Modbus TCP carries no CRC). */
export function wrongCrc(options: ModbusBehaviourOptions = {}): ModbusBehaviour {
  return define('wrong CRC', options, (req, meter) => {
    const reply = meter.defaultReply(req);
    return reply.kind === 'silent' ? reply : { ...reply, corruptCrc: true };
  });
}

/** The model's answer, `ms` late. */
export function delay(ms: number, options: ModbusBehaviourOptions = {}): ModbusBehaviour {
  return define(`delay ${ms} ms`, options, (req, meter) => {
    const reply = meter.defaultReply(req);
    return reply.kind === 'silent' ? reply : { ...reply, delayMs: ms };
  });
}
