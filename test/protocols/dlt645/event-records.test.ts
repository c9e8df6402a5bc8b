// Power-down, programming and cover-open records and daily freezes (DL/T 645-2007 Appendix A):
// bytes written one per line decode to their meaning, and encoding gives the bytes back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataIdentifier as DI, decodeDataValue, decodeEventRecord, encodeDataValue, encodeEventRecord } from '../../../protocols/dlt645/index.js';
import { bytes } from './helpers.js';

describe('event records', () => {
  it('decodes a power-down record: start and end, ss mm hh DD MM YY each', () => {
    const payload = bytes(
      0x05, 0x04, 0x03, 0x20, 0x11, 0x26, // start 2026-11-20 03:04:05
      0x00, 0x30, 0x03, 0x20, 0x11, 0x26, // end   2026-11-20 03:30:00
    );
    expect(decodeEventRecord('powerDown', payload)).toEqual({ at: '2026-11-20 03:04:05', endAt: '2026-11-20 03:30:00' });
    expect(decodeEventRecord('powerDown', Buffer.concat([payload.subarray(0, 6), Buffer.alloc(6)]))).toEqual({ at: '2026-11-20 03:04:05', endAt: null });
  });

  it('decodes a programming record: time, operator, the DIs written (LSB first)', () => {
    const payload = Buffer.concat([
      bytes(0x00, 0x00, 0x09, 0x01, 0x12, 0x26), // 2026-12-01 09:00:00
      bytes(0xcd, 0xab, 0x00, 0x00), // operator 0000ABCD
      bytes(0x01, 0x10, 0x00, 0x04), // DI 04001001 (alarm amount 1)
      Buffer.alloc(36, 0xff), // the other nine: none
    ]);
    expect(decodeEventRecord('programming', payload)).toEqual({ at: '2026-12-01 09:00:00', operator: '0000ABCD', dataIdentifiers: ['04001001'] });
    expect(encodeEventRecord('programming', { at: '2026-12-01 09:00:00', operator: '0000ABCD', dataIdentifiers: ['04001001'] }).subarray(0, 14)).toEqual(payload.subarray(0, 14));
  });

  it('refuses a record of the wrong length', () => {
    expect(() => decodeEventRecord('coverOpen', Buffer.alloc(12))).toThrow(/coverOpen record must be 60 bytes, got 12/);
  });

  it('round-trips cover-open records and daily freezes through the catalogue', () => {
    const time = fc.record({ y: fc.integer({ min: 2000, max: 2099 }), mo: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }), h: fc.integer({ min: 0, max: 23 }), mi: fc.integer({ min: 0, max: 59 }) });
    const text = (t: { y: number; mo: number; d: number; h: number; mi: number }) => `${t.y}-${String(t.mo).padStart(2, '0')}-${String(t.d).padStart(2, '0')} ${String(t.h).padStart(2, '0')}:${String(t.mi).padStart(2, '0')}`;
    fc.assert(fc.property(time, fc.integer({ min: 1, max: 62 }), fc.integer({ min: 0, max: 99_999_999 }), (t, n, wh10) => {
      const at = `${text(t)}:00`;
      expect(decodeDataValue(DI.lastCoverOpenRecord, encodeDataValue(DI.lastCoverOpenRecord, { at, endAt: at })).value).toEqual({ at, endAt: at });
      const timeDi = DI.dailyFrozenTime1 + n - 1;
      expect(decodeDataValue(timeDi, encodeDataValue(timeDi, text(t))).value).toBe(text(t));
      const energyDi = DI.dailyFrozenForwardActive1 + n - 1;
      expect(decodeDataValue(energyDi, encodeDataValue(energyDi, { total: wh10 * 10, tariff1: 10 })).value).toEqual({ total: wh10 * 10, tariff1: 10 });
    }), { numRuns: 200 });
  });
});
