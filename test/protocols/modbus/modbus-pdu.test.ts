// PDU codec: the request/response examples of Modbus Application Protocol V1.1b3 §6 (function
// codes 01–06, 0F, 10) both ways, exception responses (§7), a table of broken PDUs with the code
// each must raise, and round trips over any valid request.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRequest, decodeResponse, encodeException, encodeRequest, encodeResponse, isModbusError,
  type ModbusErrorCode, type ModbusRequest, type ModbusResponse,
} from '../../../protocols/modbus/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function codeOf(fn: () => unknown): ModbusErrorCode | 'none' {
  try {
    fn();
  } catch (err) {
    if (isModbusError(err)) return err.code;
    throw err;
  }
  return 'none';
}

// Each example: the request and its PDU, the response and its PDU, as printed in §6 of the standard.
const examples: Array<{ clause: string; request: ModbusRequest; requestPdu: string; response: ModbusResponse; responsePdu: string }> = [
  {
    clause: '§6.1 Read Coils: coils 20–38',
    request: { function: 'readCoils', address: 0x13, quantity: 19 },
    requestPdu: '01 0013 0013', // function 01, starting address 0x0013 (coil 20), quantity 19
    response: { function: 'readCoils', bits: [1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1].map(Boolean) },
    responsePdu: '01 03 CD 6B 05', // byte count 3; coils 27–20 = CD, 35–28 = 6B, 38–36 = 05
  },
  {
    clause: '§6.2 Read Discrete Inputs: inputs 197–218',
    request: { function: 'readDiscreteInputs', address: 0xc4, quantity: 22 },
    requestPdu: '02 00C4 0016',
    response: { function: 'readDiscreteInputs', bits: [0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1].map(Boolean) },
    responsePdu: '02 03 AC DB 35',
  },
  {
    clause: '§6.3 Read Holding Registers: registers 108–110',
    request: { function: 'readHoldingRegisters', address: 0x6b, quantity: 3 },
    requestPdu: '03 006B 0003',
    response: { function: 'readHoldingRegisters', registers: [0x022b, 0x0000, 0x0064] },
    responsePdu: '03 06 022B 0000 0064', // register 108 = 555, 109 = 0, 110 = 100
  },
  {
    clause: '§6.4 Read Input Register: register 9',
    request: { function: 'readInputRegisters', address: 0x08, quantity: 1 },
    requestPdu: '04 0008 0001',
    response: { function: 'readInputRegisters', registers: [0x000a] },
    responsePdu: '04 02 000A',
  },
  {
    clause: '§6.5 Write Single Coil: coil 173 ON',
    request: { function: 'writeSingleCoil', address: 0xac, value: true },
    requestPdu: '05 00AC FF00', // FF00 = ON
    response: { function: 'writeSingleCoil', address: 0xac, value: true },
    responsePdu: '05 00AC FF00', // the normal response echoes the request
  },
  {
    clause: '§6.6 Write Single Register: register 2 = 3',
    request: { function: 'writeSingleRegister', address: 0x01, value: 3 },
    requestPdu: '06 0001 0003',
    response: { function: 'writeSingleRegister', address: 0x01, value: 3 },
    responsePdu: '06 0001 0003',
  },
  {
    clause: '§6.11 Write Multiple Coils: 10 coils from coil 20',
    request: { function: 'writeMultipleCoils', address: 0x13, values: [1, 0, 1, 1, 0, 0, 1, 1, 1, 0].map(Boolean) },
    requestPdu: '0F 0013 000A 02 CD 01', // byte count 2: coils 27–20 = CD, 29–28 = 01
    response: { function: 'writeMultipleCoils', address: 0x13, quantity: 10 },
    responsePdu: '0F 0013 000A',
  },
  {
    clause: '§6.12 Write Multiple Registers: registers 2–3 = 000A, 0102',
    request: { function: 'writeMultipleRegisters', address: 0x01, values: [0x000a, 0x0102] },
    requestPdu: '10 0001 0002 04 000A 0102',
    response: { function: 'writeMultipleRegisters', address: 0x01, quantity: 2 },
    responsePdu: '10 0001 0002',
  },
];

describe('PDU examples of the standard', () => {
  it.each(examples)('$clause', ({ request, requestPdu, response, responsePdu }) => {
    expect(encodeRequest(request)).toEqual(hex(requestPdu));
    expect(decodeRequest(hex(requestPdu))).toEqual(request);
    expect(encodeResponse(response)).toEqual(hex(responsePdu));
    expect(decodeResponse(request, hex(responsePdu))).toEqual(response);
  });
});

describe('exception responses (§7)', () => {
  it('reads function | 0x80 with the exception code as MODBUS_EXCEPTION, named', () => {
    const request: ModbusRequest = { function: 'readInputRegisters', address: 0x0048, quantity: 2 };
    const pdu = encodeException(0x04, 0x02);
    expect(pdu).toEqual(hex('84 02')); // 0x04 | 0x80, ILLEGAL DATA ADDRESS
    try {
      decodeResponse(request, pdu);
      expect.unreachable();
    } catch (err) {
      expect(isModbusError(err) && err.code).toBe('MODBUS_EXCEPTION');
      expect((err as Error).message).toContain('0x0048');
      expect((err as Error).message).toContain('exception 2 (ILLEGAL DATA ADDRESS)');
      expect(isModbusError(err) && err.context.exceptionCode).toBe(2);
    }
  });

  it('names every exception code of the table and a code outside it', () => {
    const request: ModbusRequest = { function: 'readHoldingRegisters', address: 0, quantity: 1 };
    const names = [1, 2, 3, 4, 5, 6, 8, 10, 11, 0x42].map((c) => {
      try {
        decodeResponse(request, encodeException(0x03, c));
      } catch (err) {
        return (err as Error).message.replace(/^.*\(/, '').replace(/\)$/, '');
      }
      return 'none';
    });
    expect(names).toEqual([
      'ILLEGAL FUNCTION', 'ILLEGAL DATA ADDRESS', 'ILLEGAL DATA VALUE', 'SERVER DEVICE FAILURE', 'ACKNOWLEDGE',
      'SERVER DEVICE BUSY', 'MEMORY PARITY ERROR', 'GATEWAY PATH UNAVAILABLE', 'GATEWAY TARGET DEVICE FAILED TO RESPOND', 'exception 0x42',
    ]);
  });
});

describe('broken PDUs', () => {
  const read2: ModbusRequest = { function: 'readInputRegisters', address: 0, quantity: 2 };
  const coil: ModbusRequest = { function: 'writeSingleCoil', address: 5, value: false };
  it.each([
    ['another function in the response', read2, '03 04 0000 0000', 'FRAME_INVALID'],
    ['byte count not 2 × quantity', read2, '04 02 0000', 'FRAME_INVALID'],
    ['fewer data bytes than the byte count says', read2, '04 04 0000 00', 'FRAME_INVALID'],
    ['a write echo with another address', coil, '05 0006 0000', 'FRAME_INVALID'],
    ['a write echo with another value', coil, '05 0005 FF00', 'FRAME_INVALID'],
    ['a write echo cut short', coil, '05 0005 00', 'FRAME_INVALID'],
  ] as const)('response: %s → %s', (_name, request, pdu, code) => {
    expect(codeOf(() => decodeResponse(request, hex(pdu)))).toBe(code);
  });

  it.each([
    ['an unknown function (exception 01)', '2B 0E 01 00', 1],
    ['a read of 0 registers (exception 03)', '03 0000 0000', 3],
    ['a read of 126 registers (exception 03)', '04 0000 007E', 3],
    ['a read past address 65535 (exception 02)', '03 FFFF 0002', 2],
    ['a read of 2001 coils (exception 03)', '01 0000 07D1', 3],
    ['a coil value that is neither FF00 nor 0000 (exception 03)', '05 0000 0001', 3],
    ['a byte count that does not match the quantity (exception 03)', '10 0000 0002 02 0001', 3],
    ['a request cut short (exception 03)', '03 00', 3],
  ] as const)('request: %s', (_name, pdu, exceptionCode) => {
    try {
      decodeRequest(hex(pdu));
      expect.unreachable();
    } catch (err) {
      expect(isModbusError(err) && err.code).toBe('REQUEST_INVALID');
      expect(isModbusError(err) && err.context.exceptionCode).toBe(exceptionCode);
    }
  });

  it('refuses to encode what the protocol does not allow', () => {
    expect(codeOf(() => encodeRequest({ function: 'readHoldingRegisters', address: 0, quantity: 126 }))).toBe('REQUEST_INVALID');
    expect(codeOf(() => encodeRequest({ function: 'writeSingleRegister', address: 0, value: 0x10000 }))).toBe('REQUEST_INVALID');
    expect(codeOf(() => encodeRequest({ function: 'writeMultipleRegisters', address: 0, values: [] }))).toBe('REQUEST_INVALID');
    expect(codeOf(() => encodeRequest({ function: 'readInputRegisters', address: 65535, quantity: 1 }))).toBe('none');
  });
});

const requestArb: fc.Arbitrary<ModbusRequest> = fc.oneof(
  fc.record({ function: fc.constantFrom('readCoils' as const, 'readDiscreteInputs' as const), quantity: fc.integer({ min: 1, max: 2000 }) })
    .chain((r) => fc.integer({ min: 0, max: 0x10000 - r.quantity }).map((address) => ({ ...r, address }))),
  fc.record({ function: fc.constantFrom('readHoldingRegisters' as const, 'readInputRegisters' as const), quantity: fc.integer({ min: 1, max: 125 }) })
    .chain((r) => fc.integer({ min: 0, max: 0x10000 - r.quantity }).map((address) => ({ ...r, address }))),
  fc.record({ function: fc.constant('writeSingleCoil' as const), address: fc.integer({ min: 0, max: 0xffff }), value: fc.boolean() }),
  fc.record({ function: fc.constant('writeSingleRegister' as const), address: fc.integer({ min: 0, max: 0xffff }), value: fc.integer({ min: 0, max: 0xffff }) }),
  fc.array(fc.boolean(), { minLength: 1, maxLength: 1968 }).chain((values) =>
    fc.integer({ min: 0, max: 0x10000 - values.length }).map((address) => ({ function: 'writeMultipleCoils' as const, address, values }))),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 123 }).chain((values) =>
    fc.integer({ min: 0, max: 0x10000 - values.length }).map((address) => ({ function: 'writeMultipleRegisters' as const, address, values }))),
);

describe('round trips', () => {
  it('any valid request decodes to itself', () => {
    fc.assert(fc.property(requestArb, (request) => {
      expect(decodeRequest(encodeRequest(request))).toEqual(request);
    }));
  });

  it('any register read response decodes to the registers encoded', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 125 }), (registers) => {
      const request: ModbusRequest = { function: 'readHoldingRegisters', address: 0, quantity: registers.length };
      expect(decodeResponse(request, encodeResponse({ function: 'readHoldingRegisters', registers }))).toEqual({ function: 'readHoldingRegisters', registers });
    }));
  });
});
