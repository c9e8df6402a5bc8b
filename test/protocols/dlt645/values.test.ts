// Value codecs and the data-identifier catalogue.
import { describe, expect, it } from 'vitest';
import {
  CATALOGUE,
  DataIdentifier,
  decodeDataValue,
  decodeEnergyWh,
  decodeMoneyFen,
  decodeRelayEventRecord,
  decodeStatusWord,
  decodeStatusWord3,
  encodeDataValue,
  encodeEnergyWh,
  encodeMoneyFen,
  encodeRelayEventRecord,
  encodeStatusWord3,
} from '../../../protocols/dlt645/index.js';
import { bytes, hex, toHex } from './helpers.js';

describe('catalogue', () => {
  it('names every DI exactly once and agrees with DataIdentifier', () => {
    expect(new Set(CATALOGUE.map((e) => e.di)).size).toBe(CATALOGUE.length);
    // The 2nd..62nd daily freezes are numbered rows of the first (DI0 = n), not names of their own.
    const numbered = /^dailyFrozen(Time|ForwardActive)([2-9]|[1-6]\d)$/;
    expect(Object.fromEntries(CATALOGUE.filter((e) => !numbered.test(e.name)).map((e) => [e.name, e.di]))).toEqual({ ...DataIdentifier });
    for (const e of CATALOGUE.filter((r) => numbered.test(r.name))) {
      const [, what, n] = numbered.exec(e.name)!;
      expect(e.di, e.name).toBe(DataIdentifier[`dailyFrozen${what}1` as 'dailyFrozenTime1'] + Number(n) - 1);
    }
  });

  it('has a length matching every scalar format', () => {
    for (const e of CATALOGUE) {
      if (/^[XN.]+$/.test(e.format)) expect(e.format.replace('.', '').length, e.name).toBe(e.length * 2);
    }
  });

  it('throws DI_UNKNOWN outside the catalogue', () => {
    expect(() => decodeDataValue(0x12345678, new Uint8Array(4))).toThrow(expect.objectContaining({ code: 'DI_UNKNOWN' }));
    expect(() => encodeDataValue(0x12345678, 1)).toThrow(expect.objectContaining({ code: 'DI_UNKNOWN' }));
  });
});

describe('energy and money', () => {
  it('reads XXXXXX.XX kWh as integer Wh', () => {
    expect(decodeEnergyWh(bytes(0x56, 0x34, 0x12, 0x00))).toBe(1_234_560); // 001234.56 kWh
    expect(toHex(encodeEnergyWh(1_234_569))).toBe('56 34 12 00'); // floored to 10 Wh
  });

  it('rejects energy out of range and non-BCD bytes', () => {
    expect(() => encodeEnergyWh(-1)).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
    expect(() => encodeEnergyWh(1_000_000_000)).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
    expect(() => encodeEnergyWh(Number.NaN)).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
    expect(() => decodeEnergyWh(bytes(0x5a, 0, 0, 0))).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
    expect(() => decodeEnergyWh(bytes(0, 0, 0))).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
  });

  it('reads XXXXXX.XX yuan as integer fen and refuses fractions of a fen', () => {
    expect(decodeMoneyFen(bytes(0x99, 0x88, 0x00, 0x00))).toBe(8899); // 000088.99 yuan
    expect(toHex(encodeMoneyFen(8899))).toBe('99 88 00 00');
    expect(() => encodeMoneyFen(12.5)).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
    expect(() => encodeMoneyFen(100_000_000)).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
  });

  it('decodes prepaid registers and limits in fen', () => {
    expect(decodeDataValue(DataIdentifier.remainingAmount, bytes(0x00, 0x50, 0x01, 0x00))).toEqual({
      di: 0x00900200,
      name: 'remainingAmount',
      value: 15000, // 000150.00 yuan
      unit: 'fen',
    });
    expect(decodeDataValue(DataIdentifier.closePermitAmount, encodeMoneyFen(2000)).value).toBe(2000);
    expect(decodeDataValue(DataIdentifier.purchaseCount, bytes(0x12, 0x00)).value).toBe(12);
  });
});

describe('signed formats', () => {
  it('reads the sign from the top bit of the most significant byte', () => {
    // phase A current −1.500 A: 001500 with the sign bit, LSB first.
    expect(decodeDataValue(DataIdentifier.phaseACurrent, bytes(0x00, 0x15, 0x80)).value).toBe(-1.5);
    expect(toHex(encodeDataValue(DataIdentifier.phaseACurrent, -1.5))).toBe('00 15 80');
    // total active power −0.1234 kW, power factor −0.850.
    expect(decodeDataValue(DataIdentifier.activePowerTotal, bytes(0x34, 0x12, 0x80)).value).toBe(-0.1234);
    expect(decodeDataValue(DataIdentifier.powerFactorTotal, bytes(0x50, 0x88)).value).toBe(-0.85);
    // combined active energy is signed too.
    expect(decodeDataValue(DataIdentifier.combinedActiveTotal, bytes(0x00, 0x01, 0x00, 0x80)).value).toBe(-1000);
  });

  it('refuses a negative value for an unsigned register', () => {
    expect(() => encodeDataValue(DataIdentifier.phaseAVoltage, -1)).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
  });
});

describe('blocks', () => {
  it('decodes the forward active block as total then tariffs', () => {
    const payload = Buffer.concat([encodeEnergyWh(50_000), encodeEnergyWh(10_000), encodeEnergyWh(20_000), encodeEnergyWh(15_000), encodeEnergyWh(5_000)]);
    const v = decodeDataValue(DataIdentifier.forwardActiveBlock, payload);
    expect(v.value).toEqual({ total: 50_000, tariff1: 10_000, tariff2: 20_000, tariff3: 15_000, tariff4: 5_000 });
    expect(v.unit).toBe('Wh');
    expect(toHex(encodeDataValue(DataIdentifier.forwardActiveBlock, v.value))).toBe(toHex(payload));
  });

  it('decodes the voltage block per phase', () => {
    expect(decodeDataValue(DataIdentifier.voltageBlock, bytes(0x01, 0x22, 0x00, 0x23, 0x99, 0x21)).value).toEqual({
      phaseA: 220.1,
      phaseB: 230,
      phaseC: 219.9,
    });
  });

  it('rejects a block that is not a whole number of values', () => {
    expect(() => decodeDataValue(DataIdentifier.voltageBlock, bytes(1, 2, 3))).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
  });
});

describe('clock registers', () => {
  it('date YYMMDDWW and time hhmmss travel least significant first', () => {
    expect(decodeDataValue(DataIdentifier.date, bytes(0x00, 0x22, 0x11, 0x26)).value).toBe('2026-11-22');
    expect(toHex(encodeDataValue(DataIdentifier.date, '2026-11-22'))).toBe('00 22 11 26'); // a Sunday: WW = 00
    expect(decodeDataValue(DataIdentifier.time, bytes(0x05, 0x04, 0x08)).value).toBe('08:04:05');
    expect(toHex(encodeDataValue(DataIdentifier.dateTime, '2026-11-23 08:04:05'))).toBe('05 04 08 01 23 11 26');
  });
});

describe('status words', () => {
  it('decodes status word 3 bits 4, 6, 7, 8-9 and 12', () => {
    const s = decodeStatusWord3(bytes(0xd0, 0x12)); // bits 4, 6, 7, 9, 12
    expect(s).toMatchObject({ raw: 0x12d0, relayOpen: true, relayCommandOpen: true, preTripAlarm: true, meterType: 2, keepPower: true });
    expect(s.programmingAllowed).toBe(false);
  });

  it('encodes status word 3 from flags or a number', () => {
    expect(toHex(encodeStatusWord3({ relayOpen: true, relayCommandOpen: true, meterType: 2 }))).toBe('50 02');
    expect(toHex(encodeStatusWord3(0x1010))).toBe('10 10');
    expect(() => encodeStatusWord3({ meterType: 4 })).toThrow(expect.objectContaining({ code: 'VALUE_INVALID' }));
  });

  it('decodes the phase fault and combined status words', () => {
    expect(decodeStatusWord(4, bytes(0x01, 0x01))).toMatchObject({ lossOfVoltage: true, currentBreak: true, overload: false });
    expect(decodeStatusWord(7, bytes(0x20, 0x02))).toMatchObject({ powerFailure: true, coverOpen: true });
    expect(decodeStatusWord(1, bytes(0x00, 0x40))).toMatchObject({ overdraft: true });
    expect(decodeDataValue(DataIdentifier.statusWord3, bytes(0x10, 0x00)).value).toMatchObject({ relayOpen: true });
  });
});

describe('trip and close event records', () => {
  it('decodes time, operator and energies at the event', () => {
    const payload = Buffer.concat([
      hex('30 15 10 22 11 26'), // 2026-11-22 10:15:30, ss mm hh DD MM YY
      hex('78 56 34 12'), // operator 12345678
      encodeEnergyWh(1_234_560), // forward active
      encodeEnergyWh(0), // reverse active
      encodeEnergyWh(10), // quadrant I reactive
      encodeEnergyWh(20),
      encodeEnergyWh(30),
      encodeEnergyWh(40),
    ]);
    const rec = decodeRelayEventRecord(payload);
    expect(rec).toEqual({
      at: '2026-11-22 10:15:30',
      operator: '12345678',
      forwardActiveWh: 1_234_560,
      reverseActiveWh: 0,
      quadrant1Varh: 10,
      quadrant2Varh: 20,
      quadrant3Varh: 30,
      quadrant4Varh: 40,
    });
    expect(toHex(encodeRelayEventRecord(rec))).toBe(toHex(payload));
    expect(decodeDataValue(DataIdentifier.lastTripRecord, payload).value).toEqual(rec);
  });
});
