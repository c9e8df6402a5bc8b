// Decoding a readings message remembers the last accepted timestamp (a concentrator sends one read
// time for many meters): whatever the mix of repeated, new and invalid timestamps, each reading is
// decoded (or rejected) exactly as it is alone in a message.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeReadings, type ReadingsMessage } from '../../src/mqtt/payload.js';

const NOW = Date.parse('2026-11-24T00:00:00Z');
const LIMITS = { futureToleranceMs: 86_400_000, maxReadingsPerMessage: 1000 };
const TIMES = ['2026-11-22T08:00:00+08:00', '2026-11-22T00:00:00Z', '2026-11-22T09:15:00.5+08:00', '2030-01-01T00:00:00Z', '1999-12-31T23:59:59Z', 'yesterday', 17, null];

function decode(readings: unknown[]): ReadingsMessage {
  const out = decodeReadings(Buffer.from(JSON.stringify({ readings })), NOW, LIMITS);
  if (!('readings' in out)) throw new Error(`rejected: ${out.detail}`);
  return out;
}

describe('reading timestamps in a message', () => {
  it('decodes each reading as it is decoded alone', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...TIMES), { minLength: 1, maxLength: 30 }), (times) => {
      const readings = times.map((ts, i) => ({ meter: `m${i}`, ts, energyWh: 1000 + i }));
      const together = decode(readings);
      const alone = readings.map((r) => decode([r]));
      expect(together.readings).toEqual(alone.flatMap((a) => a.readings));
      expect(together.rejected).toEqual(alone.flatMap((a) => a.rejected));
    }));
  });
});
