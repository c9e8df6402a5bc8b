// Protocol data units (PDU) of the public function codes a meter needs, both ways: the head-end
// encodes requests and decodes responses, the simulators decode requests and encode responses.
// Modbus Application Protocol V1.1b3 §4.1 (PDU = function code + data), §4.2 (big-endian data),
// §6.1–§6.6, §6.11, §6.12 (function codes 01–06, 0F, 10), §7 (exception responses).
//
//   request  ──encodeRequest──▶ [fn][data…] ──▶ server ──decodeRequest──▶ ModbusRequest
//   response ◀─decodeResponse── [fn][data…] ◀── server ◀─encodeResponse / encodeException
import { ModbusError, exceptionName } from './errors.js';

export const FunctionCode = {
  readCoils: 0x01,
  readDiscreteInputs: 0x02,
  readHoldingRegisters: 0x03,
  readInputRegisters: 0x04,
  writeSingleCoil: 0x05,
  writeSingleRegister: 0x06,
  writeMultipleCoils: 0x0f,
  writeMultipleRegisters: 0x10,
} as const;
export type FunctionName = keyof typeof FunctionCode;

/** §7: an exception response carries the function code with its high bit set. */
export const EXCEPTION_FLAG = 0x80;

/** Quantity limits of §6.1, §6.2 (2000 bits), §6.3, §6.4 (125 registers), §6.11 (1968), §6.12 (123). */
export const LIMITS = { readBits: 2000, readRegisters: 125, writeCoils: 1968, writeRegisters: 123 } as const;

export type ModbusRequest =
  | { function: 'readCoils' | 'readDiscreteInputs'; address: number; quantity: number }
  | { function: 'readHoldingRegisters' | 'readInputRegisters'; address: number; quantity: number }
  | { function: 'writeSingleCoil'; address: number; value: boolean }
  | { function: 'writeSingleRegister'; address: number; value: number }
  | { function: 'writeMultipleCoils'; address: number; values: boolean[] }
  | { function: 'writeMultipleRegisters'; address: number; values: number[] };

export type ModbusResponse =
  | { function: 'readCoils' | 'readDiscreteInputs'; bits: boolean[] }
  | { function: 'readHoldingRegisters' | 'readInputRegisters'; registers: number[] }
  | { function: 'writeSingleCoil'; address: number; value: boolean }
  | { function: 'writeSingleRegister'; address: number; value: number }
  | { function: 'writeMultipleCoils' | 'writeMultipleRegisters'; address: number; quantity: number };

const NAMES = new Map<number, FunctionName>(Object.entries(FunctionCode).map(([name, code]) => [code, name as FunctionName]));

export function functionName(code: number): FunctionName | undefined {
  return NAMES.get(code);
}

/** §6.5: a coil is switched on with FF00, off with 0000; nothing else is allowed. */
const COIL_ON = 0xff00;
const COIL_OFF = 0x0000;

function hex(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;
}

function invalid(message: string, context: Record<string, unknown>, exceptionCode = 0x03): ModbusError {
  return new ModbusError('REQUEST_INVALID', message, { ...context, exceptionCode });
}

function checkRange(address: number, quantity: number, max: number, fn: FunctionName): void {
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > max) {
    throw invalid(`${fn}: quantity ${quantity} outside 1..${max}`, { function: fn, address, quantity });
  }
  if (!Number.isInteger(address) || address < 0 || address + quantity > 0x10000) {
    throw invalid(`${fn}: addresses ${address}..${address + quantity - 1} outside 0..65535`, { function: fn, address, quantity }, 0x02);
  }
}

function checkWord(value: number, fn: FunctionName, address: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw invalid(`${fn}: value ${value} at ${hex(address)} is not a 16-bit register value`, { function: fn, address, value });
  }
}

function packBits(bits: readonly boolean[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((on, i) => {
    if (on) out[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}

function unpackBits(bytes: Uint8Array, quantity: number): boolean[] {
  return Array.from({ length: quantity }, (_, i) => ((bytes[i >> 3]! >> (i & 7)) & 1) === 1);
}

/** The PDU of a request. Throws REQUEST_INVALID for what the protocol does not allow. */
export function encodeRequest(req: ModbusRequest): Buffer {
  const fn = FunctionCode[req.function];
  switch (req.function) {
    case 'readCoils':
    case 'readDiscreteInputs':
    case 'readHoldingRegisters':
    case 'readInputRegisters': {
      const bits = req.function === 'readCoils' || req.function === 'readDiscreteInputs';
      checkRange(req.address, req.quantity, bits ? LIMITS.readBits : LIMITS.readRegisters, req.function);
      const pdu = Buffer.alloc(5);
      pdu.writeUInt8(fn, 0);
      pdu.writeUInt16BE(req.address, 1);
      pdu.writeUInt16BE(req.quantity, 3);
      return pdu;
    }
    case 'writeSingleCoil':
    case 'writeSingleRegister': {
      checkRange(req.address, 1, 1, req.function);
      const value = req.function === 'writeSingleCoil' ? (req.value ? COIL_ON : COIL_OFF) : req.value;
      checkWord(value, req.function, req.address);
      const pdu = Buffer.alloc(5);
      pdu.writeUInt8(fn, 0);
      pdu.writeUInt16BE(req.address, 1);
      pdu.writeUInt16BE(value, 3);
      return pdu;
    }
    case 'writeMultipleCoils': {
      checkRange(req.address, req.values.length, LIMITS.writeCoils, req.function);
      const data = packBits(req.values);
      const head = Buffer.alloc(6);
      head.writeUInt8(fn, 0);
      head.writeUInt16BE(req.address, 1);
      head.writeUInt16BE(req.values.length, 3);
      head.writeUInt8(data.length, 5);
      return Buffer.concat([head, data]);
    }
    case 'writeMultipleRegisters': {
      checkRange(req.address, req.values.length, LIMITS.writeRegisters, req.function);
      const pdu = Buffer.alloc(6 + 2 * req.values.length);
      pdu.writeUInt8(fn, 0);
      pdu.writeUInt16BE(req.address, 1);
      pdu.writeUInt16BE(req.values.length, 3);
      pdu.writeUInt8(2 * req.values.length, 5);
      req.values.forEach((v, i) => {
        checkWord(v, req.function, req.address + i);
        pdu.writeUInt16BE(v, 6 + 2 * i);
      });
      return pdu;
    }
  }
}

/**
 * A request PDU as a server reads it. Throws REQUEST_INVALID with the exception code to answer
 * in `context.exceptionCode` (01 unknown function, 02 bad address, 03 bad quantity or value).
 */
export function decodeRequest(pdu: Uint8Array): ModbusRequest {
  const buf = Buffer.from(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  const code = buf[0] ?? 0;
  const fn = functionName(code);
  if (!fn) throw invalid(`function code 0x${code.toString(16)} is not supported`, { functionCode: code }, 0x01);
  if (buf.length < 5) throw invalid(`${fn}: request PDU of ${buf.length} bytes is too short`, { function: fn });
  const address = buf.readUInt16BE(1);
  const word = buf.readUInt16BE(3);
  switch (fn) {
    case 'readCoils':
    case 'readDiscreteInputs':
      checkRange(address, word, LIMITS.readBits, fn);
      return { function: fn, address, quantity: word };
    case 'readHoldingRegisters':
    case 'readInputRegisters':
      checkRange(address, word, LIMITS.readRegisters, fn);
      return { function: fn, address, quantity: word };
    case 'writeSingleCoil':
      if (word !== COIL_ON && word !== COIL_OFF) throw invalid(`writeSingleCoil: value ${hex(word)} is neither FF00 nor 0000`, { function: fn, address });
      return { function: fn, address, value: word === COIL_ON };
    case 'writeSingleRegister':
      return { function: fn, address, value: word };
    case 'writeMultipleCoils':
    case 'writeMultipleRegisters': {
      const bits = fn === 'writeMultipleCoils';
      checkRange(address, word, bits ? LIMITS.writeCoils : LIMITS.writeRegisters, fn);
      const byteCount = buf[5] ?? -1;
      const expected = bits ? Math.ceil(word / 8) : 2 * word;
      if (byteCount !== expected || buf.length !== 6 + expected) {
        throw invalid(`${fn}: byte count ${byteCount} does not match quantity ${word}`, { function: fn, address, quantity: word });
      }
      const data = buf.subarray(6);
      if (bits) return { function: fn, address, values: unpackBits(data, word) };
      return { function: fn, address, values: Array.from({ length: word }, (_, i) => data.readUInt16BE(2 * i)) };
    }
  }
}

/** The normal response PDU to `req` (server side). */
export function encodeResponse(res: ModbusResponse): Buffer {
  const fn = FunctionCode[res.function];
  switch (res.function) {
    case 'readCoils':
    case 'readDiscreteInputs': {
      const data = packBits(res.bits);
      return Buffer.concat([Buffer.from([fn, data.length]), data]);
    }
    case 'readHoldingRegisters':
    case 'readInputRegisters': {
      const pdu = Buffer.alloc(2 + 2 * res.registers.length);
      pdu.writeUInt8(fn, 0);
      pdu.writeUInt8(2 * res.registers.length, 1);
      res.registers.forEach((v, i) => pdu.writeUInt16BE(v & 0xffff, 2 + 2 * i));
      return pdu;
    }
    case 'writeSingleCoil':
    case 'writeSingleRegister':
    case 'writeMultipleCoils':
    case 'writeMultipleRegisters': {
      const second = res.function === 'writeSingleCoil' ? (res.value ? COIL_ON : COIL_OFF) : res.function === 'writeSingleRegister' ? res.value : res.quantity;
      const pdu = Buffer.alloc(5);
      pdu.writeUInt8(fn, 0);
      pdu.writeUInt16BE(res.address, 1);
      pdu.writeUInt16BE(second, 3);
      return pdu;
    }
  }
}

/** §7: exception response PDU, function code | 0x80 and the exception code. */
export function encodeException(functionCode: number, exceptionCode: number): Buffer {
  return Buffer.from([(functionCode | EXCEPTION_FLAG) & 0xff, exceptionCode & 0xff]);
}

/**
 * The response PDU to `req` as the head-end reads it. An exception response throws
 * MODBUS_EXCEPTION; a response that does not answer `req` (other function, wrong byte count, a
 * write echo that differs) throws FRAME_INVALID.
 */
export function decodeResponse(req: ModbusRequest, pdu: Uint8Array): ModbusResponse {
  const buf = Buffer.from(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  const fn = FunctionCode[req.function];
  const context = { function: req.function, address: req.address };
  if (buf[0] === (fn | EXCEPTION_FLAG)) {
    const exceptionCode = buf[1] ?? 0;
    throw new ModbusError('MODBUS_EXCEPTION', `${req.function} at ${hex(req.address)}: exception ${exceptionCode} (${exceptionName(exceptionCode)})`, {
      ...context, exceptionCode, exceptionName: exceptionName(exceptionCode),
    });
  }
  if (buf[0] !== fn) throw new ModbusError('FRAME_INVALID', `${req.function}: response carries function code 0x${(buf[0] ?? 0).toString(16)}`, context);
  const fail = (why: string) => new ModbusError('FRAME_INVALID', `${req.function} at ${hex(req.address)}: ${why}`, { ...context, pdu: buf.toString('hex') });
  switch (req.function) {
    case 'readCoils':
    case 'readDiscreteInputs': {
      const expected = Math.ceil(req.quantity / 8);
      if (buf[1] !== expected || buf.length !== 2 + expected) throw fail(`byte count ${buf[1]} for ${req.quantity} bits`);
      return { function: req.function, bits: unpackBits(buf.subarray(2), req.quantity) };
    }
    case 'readHoldingRegisters':
    case 'readInputRegisters': {
      const expected = 2 * req.quantity;
      if (buf[1] !== expected || buf.length !== 2 + expected) throw fail(`byte count ${buf[1]} for ${req.quantity} registers`);
      return { function: req.function, registers: Array.from({ length: req.quantity }, (_, i) => buf.readUInt16BE(2 + 2 * i)) };
    }
    default: {
      // §6.5, §6.6, §6.11, §6.12: the normal response echoes the address and the value or quantity.
      if (buf.length !== 5) throw fail(`response PDU of ${buf.length} bytes`);
      const address = buf.readUInt16BE(1);
      const second = buf.readUInt16BE(3);
      const sent = encodeRequest(req);
      if (address !== req.address || second !== sent.readUInt16BE(3)) throw fail(`echo ${hex(address)}/${hex(second)} differs from the request`);
      if (req.function === 'writeSingleCoil') return { function: req.function, address, value: second === COIL_ON };
      if (req.function === 'writeSingleRegister') return { function: req.function, address, value: second };
      return { function: req.function, address, quantity: second };
    }
  }
}
