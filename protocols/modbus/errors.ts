// Coded errors of the Modbus codec and clients. Every failure carries a stable code and a context
// object (unit id, function, register address, bytes) so callers can count, log and map them
// without parsing messages.

export type ModbusErrorCode =
  /** a frame shorter than its own header says, or a PDU that cannot be what was asked for */
  | 'FRAME_INVALID'
  /** Modbus over Serial Line V1.02 §2.5.1.2: the CRC of a received RTU frame is wrong */
  | 'FRAME_CRC'
  /** Modbus Application Protocol V1.1b3 §7: the server answered with an exception response */
  | 'MODBUS_EXCEPTION'
  /** no reply within the response timeout */
  | 'MODBUS_TIMEOUT'
  /** the endpoint is closed or cannot be reached */
  | 'MODBUS_UNREACHABLE'
  /** a request outside what the protocol allows (quantity, address range, unit id) */
  | 'REQUEST_INVALID'
  /** a register holds a value its register map does not allow */
  | 'VALUE_INVALID'
  /** a register map is not valid */
  | 'MAP_INVALID';

export class ModbusError extends Error {
  readonly code: ModbusErrorCode;
  readonly context: Record<string, unknown>;

  constructor(code: ModbusErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ModbusError';
    this.code = code;
    this.context = context;
  }
}

export function isModbusError(e: unknown): e is ModbusError {
  return e instanceof ModbusError;
}

/** Modbus Application Protocol V1.1b3 §7 (MODBUS Exception Responses), table of exception codes. */
export const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  0x01: 'ILLEGAL FUNCTION',
  0x02: 'ILLEGAL DATA ADDRESS',
  0x03: 'ILLEGAL DATA VALUE',
  0x04: 'SERVER DEVICE FAILURE',
  0x05: 'ACKNOWLEDGE',
  0x06: 'SERVER DEVICE BUSY',
  0x08: 'MEMORY PARITY ERROR',
  0x0a: 'GATEWAY PATH UNAVAILABLE',
  0x0b: 'GATEWAY TARGET DEVICE FAILED TO RESPOND',
};

export function exceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? `exception 0x${code.toString(16).padStart(2, '0')}`;
}
