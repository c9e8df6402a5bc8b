// What a simulated Modbus meter does with one request: answer (a response or an exception), or
// stay silent; an answer may be delayed, and on an RTU line sent with a wrong CRC.
import type { ModbusResponse } from '../../protocols/modbus/index.js';

export type SimReply =
  | { kind: 'response'; response: ModbusResponse; delayMs?: number; corruptCrc?: boolean }
  | { kind: 'exception'; exceptionCode: number; delayMs?: number; corruptCrc?: boolean }
  | { kind: 'silent' };

export const SILENT: SimReply = { kind: 'silent' };

export function exceptionReply(exceptionCode: number): SimReply {
  return { kind: 'exception', exceptionCode };
}
