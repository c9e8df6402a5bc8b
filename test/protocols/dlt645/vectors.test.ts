// Third-party DL/T 645 frames (test/fixtures/dlt645-vectors.json, sources named in the file): each
// decodes to its stated meaning, and requests (and the replies our encoders build) re-encode
// byte for byte.
import { describe, expect, it } from 'vitest';
import {
  DataIdentifier,
  DataIdentifier1997,
  FunctionCode,
  decode1997ReadRequest,
  decode1997ReadResponse,
  decode1997Value,
  decodeControlRequest,
  decodeControlResponse,
  decodeDataValue,
  decodeEnergyWh,
  decodeFrame,
  decodeReadAddressResponse,
  decodeReadRequest,
  decodeReadResponse,
  encode1997ReadRequest,
  encode1997ReadResponse,
  encodeControlRequest,
  encodeControlResponse,
  encodeDataValue,
  encodeEnergyWh,
  encodeReadAddressRequest,
  encodeReadAddressResponse,
  encodeReadRequest,
  encodeReadResponse,
  parseControl,
  plaintextControl,
} from '../../../protocols/dlt645/index.js';
import { hex, loadVectors, toHex, type Vector } from './helpers.js';

const checks: Record<string, (bytes: Buffer) => void> = {
  'read-energy-request': (b) => {
    const f = decodeFrame(b);
    expect(f.address).toBe('000000000001');
    expect(parseControl(f.control)).toEqual({ functionCode: FunctionCode.Read, fromMeter: false, abnormal: false, followUp: false });
    expect(decodeReadRequest(f)).toEqual({ di: DataIdentifier.forwardActiveTotal });
    expect(toHex(encodeReadRequest('000000000001', DataIdentifier.forwardActiveTotal, { preamble: 0 }))).toBe(toHex(b));
  },
  'read-energy-request-2': (b) => {
    const f = decodeFrame(b);
    expect(f.address).toBe('000000000161');
    expect(decodeReadRequest(f).di).toBe(0x00010000);
    expect(toHex(encodeReadRequest('000000000161', 0x00010000, { preamble: 0 }))).toBe(toHex(b));
  },
  'read-energy-response': (b) => {
    const f = decodeFrame(b);
    const r = decodeReadResponse(f);
    expect(f.address).toBe('000000000161');
    expect(r.di).toBe(DataIdentifier.forwardActiveTotal);
    expect(decodeEnergyWh(r.payload)).toBe(260); // 000000.26 kWh
    expect(toHex(encodeReadResponse('000000000161', r.di, encodeEnergyWh(260)))).toBe(toHex(b));
  },
  'frequency-response-with-preamble': (b) => {
    const f = decodeFrame(b);
    const r = decodeReadResponse(f);
    expect(f.address).toBe('171118445100');
    expect(decodeDataValue(r.di, r.payload)).toEqual({ di: 0x02800002, name: 'frequency', value: 50.03, unit: 'Hz' });
    const again = encodeReadResponse('171118445100', DataIdentifier.frequency, encodeDataValue(DataIdentifier.frequency, 50.03), { preamble: 4 });
    expect(toHex(again)).toBe(toHex(b));
  },
  'read-address-request': (b) => {
    const f = decodeFrame(b);
    expect(f.address).toBe('AAAAAAAAAAAA');
    expect(f.control).toBe(0x13);
    expect(f.data.length).toBe(0);
    expect(toHex(encodeReadAddressRequest())).toBe(toHex(b));
  },
  'read-address-response': (b) => {
    const f = decodeFrame(b);
    expect(decodeReadAddressResponse(f)).toEqual({ address: '000000000001' });
    expect(toHex(encodeReadAddressResponse('000000000001'))).toBe(toHex(b));
  },
  'read-meter-number-request': (b) => {
    const f = decodeFrame(b);
    expect(f.address).toBe('002241020208');
    expect(decodeReadRequest(f).di).toBe(DataIdentifier.meterNumber);
    expect(toHex(encodeReadRequest('002241020208', DataIdentifier.meterNumber))).toBe(toHex(b));
  },
  'read-meter-number-response': (b) => {
    const r = decodeReadResponse(decodeFrame(b));
    expect(decodeDataValue(r.di, r.payload).value).toBe('002241020208');
    const again = encodeReadResponse('002241020208', r.di, encodeDataValue(DataIdentifier.meterNumber, '002241020208'));
    expect(toHex(again)).toBe(toHex(b));
  },
  'voltage-response': (b) => {
    const r = decodeReadResponse(decodeFrame(b));
    expect(decodeDataValue(r.di, r.payload)).toEqual({ di: 0x02010100, name: 'phaseAVoltage', value: 100.1, unit: 'V' });
    const again = encodeReadResponse('000000000161', DataIdentifier.phaseAVoltage, encodeDataValue(DataIdentifier.phaseAVoltage, 100.1));
    expect(toHex(again)).toBe(toHex(b));
  },
  'current-response-checksum-0x16': (b) => {
    expect(b[b.length - 2]).toBe(0x16); // the checksum itself is 16H
    const r = decodeReadResponse(decodeFrame(b));
    expect(decodeDataValue(r.di, r.payload)).toEqual({ di: 0x02020100, name: 'phaseACurrent', value: 4.999, unit: 'A' });
    const again = encodeReadResponse('000000000161', DataIdentifier.phaseACurrent, encodeDataValue(DataIdentifier.phaseACurrent, 4.999));
    expect(toHex(again)).toBe(toHex(b));
  },
  'relay-trip-request': (b) => {
    const f = decodeFrame(b);
    const c = decodeControlRequest(f);
    expect(f.address).toBe('111111111111');
    expect(c).toMatchObject({ pa: 0x00, password: '000000', operator: '00000000', n1: 0x1a, action: 'trip' });
    expect(c.deadline?.toISOString()).toBe(new Date('2018-05-12T15:41:24+08:00').toISOString());
    const again = encodeControlRequest(
      '111111111111',
      { action: 'trip', deadline: new Date('2018-05-12T15:41:24+08:00') },
      plaintextControl({ level: 0x00 }),
      { preamble: 0 },
    );
    expect(toHex(again)).toBe(toHex(b));
  },
  'relay-control-ok-response': (b) => {
    expect(decodeControlResponse(decodeFrame(b))).toEqual({ ok: true });
    expect(toHex(encodeControlResponse('111111111111', { ok: true }))).toBe(toHex(b));
  },
  'read-voltage-1997': (b) => {
    const f = decodeFrame(b);
    expect(f.address).toBe('000000000003');
    expect(decode1997ReadRequest(f)).toEqual({ di: DataIdentifier1997.phaseAVoltage });
    expect(toHex(encode1997ReadRequest('000000000003', 0xb611))).toBe(toHex(b));
  },
  'voltage-response-1997': (b) => {
    const r = decode1997ReadResponse(decodeFrame(b));
    expect(r.di).toBe(0xb611);
    expect(decode1997Value(r.di, r.payload)).toEqual({ di: 0xb611, name: 'phaseAVoltage', value: 100, unit: 'V' });
    expect(toHex(encode1997ReadResponse('000000000003', 0xb611, r.payload))).toBe(toHex(b));
  },
};

describe('third-party DL/T 645 vectors', () => {
  const vectors = loadVectors();

  it('has a check for every vector in the file', () => {
    expect(vectors.map((v) => v.id).sort()).toEqual(Object.keys(checks).sort());
  });

  it.each(vectors.map((v): [string, Vector] => [v.id, v]))('%s', (_id, v) => {
    const check = checks[v.id];
    expect(check).toBeDefined();
    check?.(hex(v.hex));
  });
});
