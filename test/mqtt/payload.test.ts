// The concentrator contract's payloads: exact kWh → Wh from the decimal text, and a table of
// malformed messages with the rejection code each must get.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scaleDecimal } from '../../src/mqtt/decimal.js';
import { decodeAck, decodeReadings, decodeStatus, isRejection } from '../../src/mqtt/payload.js';
import { Topics } from '../../src/mqtt/topics.js';

const NOW = Date.parse('2026-11-22T12:00:00+08:00');
const LIMITS = { futureToleranceMs: 86_400_000, maxReadingsPerMessage: 100 };
const decode = (body: unknown) => decodeReadings(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), NOW, LIMITS);

describe('scaleDecimal', () => {
  it('scales the decimal text, not the binary fraction', () => {
    expect(Math.round(1.005 * 100)).toBe(100); // why this exists: 1.005 * 100 is 100.49999999999999
    expect(scaleDecimal(1234.56, 3)).toBe(1_234_560);
    expect(scaleDecimal(0.29, 3)).toBe(290);
    expect(scaleDecimal(1.005, 2)).toBe(101);
    expect(scaleDecimal(999999.99, 3)).toBe(999_999_990);
    expect(scaleDecimal(0, 3)).toBe(0);
    expect(scaleDecimal(12, 3)).toBe(12_000);
    expect(scaleDecimal(1e-7, 3)).toBe(0);
    expect(scaleDecimal(0.0005, 3)).toBe(1); // half a Wh rounds up
    expect(scaleDecimal(1234.5600000000002, 3)).toBe(1_234_560); // a sender printing float noise
    expect(scaleDecimal(1.5e21, 3)).toBeNull();
    expect(scaleDecimal(Number.NaN, 3)).toBeNull();
  });

  it('gives back the integer for any register written with up to 3 decimals (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 999_999_999_999 }), (wh) => {
      const kwh = JSON.parse(`${Math.floor(wh / 1000)}.${String(wh % 1000).padStart(3, '0')}`) as number;
      expect(scaleDecimal(kwh, 3)).toBe(wh);
    }), { numRuns: 2000 });
  });
});

describe('decodeReadings', () => {
  it('decodes the contract example with its optional fields', () => {
    const out = decode({ readings: [{
      meter: '000012345678', ts: '2026-11-22T08:00:00+08:00', energyKwh: 1234.56, relay: 'closed',
      touKwh: { peak: 400.1, flat: 500.2, valley: 334.26 }, voltageV: 221.3, currentA: 4.87, powerKw: 1.05, remainingYuan: 12.34,
    }] });
    expect(isRejection(out)).toBe(false);
    if (isRejection(out)) return;
    expect(out.rejected).toEqual([]);
    expect(out.readings[0]).toMatchObject({
      meter: '000012345678', ts: Date.parse('2026-11-22T00:00:00Z'), energyWh: 1_234_560, relay: 'closed',
      tou: { criticalWh: null, peakWh: 400_100, flatWh: 500_200, valleyWh: 334_260 },
      voltageV: 221.3, currentA: 4.87, powerKw: 1.05, remainingFen: 1234, overdraftFen: null,
    });
  });

  it.each([
    ['not JSON', '{"readings":[', 'bad-json'],
    ['no readings array', { reading: [] }, 'bad-shape'],
    ['readings not an array', { readings: {} }, 'bad-shape'],
    ['too many readings', { readings: Array.from({ length: 101 }, () => ({})) }, 'too-large'],
  ])('rejects a whole message: %s', (_name, body, code) => {
    const out = decode(body);
    expect(isRejection(out) && out.code).toBe(code);
  });

  it.each([
    ['meter missing', { ts: '2026-11-22T08:00:00+08:00', energyKwh: 1 }, 'bad-shape'],
    ['meter a number', { meter: 12345678, ts: '2026-11-22T08:00:00+08:00', energyKwh: 1 }, 'bad-shape'],
    ['time without offset', { meter: 'm1', ts: '2026-11-22T08:00:00', energyKwh: 1 }, 'bad-timestamp'],
    ['time not a time', { meter: 'm1', ts: '2026-13-45T08:00:00+08:00', energyKwh: 1 }, 'bad-timestamp'],
    ['time two days ahead', { meter: 'm1', ts: '2026-11-24T13:00:00+08:00', energyKwh: 1 }, 'bad-timestamp'],
    ['time before 2000', { meter: 'm1', ts: '1999-12-31T23:00:00Z', energyKwh: 1 }, 'bad-timestamp'],
    ['no energy', { meter: 'm1', ts: '2026-11-22T08:00:00+08:00' }, 'bad-shape'],
    ['negative energy', { meter: 'm1', ts: '2026-11-22T08:00:00+08:00', energyKwh: -0.01 }, 'bad-value'],
    ['energy as text', { meter: 'm1', ts: '2026-11-22T08:00:00+08:00', energyKwh: '12.3' }, 'bad-value'],
    ['energy beyond any register', { meter: 'm1', ts: '2026-11-22T08:00:00+08:00', energyKwh: 2e9 }, 'bad-value'],
    ['fractional energyWh', { meter: 'm1', ts: '2026-11-22T08:00:00+08:00', energyWh: 1.5 }, 'bad-value'],
    ['unknown relay state', { meter: 'm1', ts: '2026-11-22T08:00:00+08:00', energyKwh: 1, relay: 'half' }, 'bad-value'],
    ['impossible voltage', { meter: 'm1', ts: '2026-11-22T08:00:00+08:00', energyKwh: 1, voltageV: 5000 }, 'bad-value'],
    ['per-tariff registers not an object', { meter: 'm1', ts: '2026-11-22T08:00:00+08:00', energyKwh: 1, touKwh: [1, 2] }, 'bad-shape'],
  ])('sets aside one bad reading and keeps the rest: %s', (_name, bad, code) => {
    const good = { meter: 'm2', ts: '2026-11-22T08:00:00+08:00', energyWh: 5 };
    const out = decode({ readings: [good, bad] });
    if (isRejection(out)) throw new Error(`whole message rejected: ${out.detail}`);
    expect(out.readings.map((r) => r.meter)).toEqual(['m2']);
    expect(out.rejected).toHaveLength(1);
    expect(out.rejected[0]!.code).toBe(code);
    expect(out.rejected[0]!.raw).toEqual(bad);
  });
});

describe('acks, status and topics', () => {
  it('decodes acks and status, and rejects the rest', () => {
    expect(decodeAck(Buffer.from('{"id":"c1","ok":true,"relay":"open"}'))).toEqual({ id: 'c1', ok: true, relay: 'open' });
    expect(decodeAck(Buffer.from('{"id":"c1","ok":false,"error":"meter busy"}'))).toEqual({ id: 'c1', ok: false, error: 'meter busy' });
    expect(decodeAck(Buffer.from('{"id":"c1"}'))).toMatchObject({ code: 'bad-shape' });
    expect(decodeAck(Buffer.from('{"ok":true}'))).toMatchObject({ code: 'bad-shape' });
    expect(decodeStatus(Buffer.from('online'))).toBe('online');
    expect(decodeStatus(Buffer.from('offline\n'))).toBe('offline');
    expect(decodeStatus(Buffer.from('{"status":"online"}'))).toMatchObject({ code: 'bad-value' });
  });

  it('parses only the three uplinks of well-formed concentrator ids', () => {
    const t = new Topics('feikong/v1');
    expect(t.parse('feikong/v1/concentrators/dcu-1/readings')).toEqual({ kind: 'readings', concentratorId: 'dcu-1' });
    expect(t.parse('feikong/v1/concentrators/dcu-1/commands')).toBeNull();
    expect(t.parse('feikong/v1/concentrators/a/b/readings')).toBeNull();
    expect(t.parse('other/v1/concentrators/dcu-1/readings')).toBeNull();
    expect(t.filter('readings', 'g1')).toBe('$share/g1/feikong/v1/concentrators/+/readings');
    expect(t.filter('acks')).toBe('feikong/v1/concentrators/+/acks');
  });
});
