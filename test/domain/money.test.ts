// Money and tariffs: price parsing, rounding half up on hand-computed charges, and the "no rounding
// drift" rule (docs/design.md "Money and energy"): per-reading charges, computed on cumulative energy and
// differenced, always add up to the charge on the total energy.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chargeForEnergyFen, formatYuan, parsePricePerKwh } from '../../src/domain/money.js';
import { chargeBetweenFen, cumulativeChargeFen, parseTariff, type Tariff } from '../../src/domain/tariff.js';

/**
 * Reference charge, written independently of the code under test: a price of `digits` × 10^-d yuan/kWh
 * for `wh` Wh is wh × digits / (10 × 10^d) fen; rounded half up as floor((2n + den) / 2den).
 */
function referenceChargeFen(wh: number, price: string): bigint {
  const [whole, frac = ''] = price.split('.');
  const num = BigInt(wh) * BigInt(`${whole}${frac}`);
  const den = 10n * 10n ** BigInt(frac.length);
  return (2n * num + den) / (2n * den);
}

const flat = (pricePerKwh: string): Tariff => ({ kind: 'flat', pricePerKwh });

/** Any price the parser accepts: 0..9999 yuan with 0..6 decimals, as a string. */
const priceText = fc
  .tuple(fc.integer({ min: 0, max: 9999 }), fc.array(fc.constantFrom(...'0123456789'), { maxLength: 6 }))
  .map(([whole, frac]) => (frac.length === 0 ? String(whole) : `${whole}.${frac.join('')}`));

describe('parsePricePerKwh', () => {
  it.each([
    ['0.5283', 528_300n],
    ['1', 1_000_000n],
    ['0', 0n],
    ['12.5', 12_500_000n],
    ['0.000001', 1n],
    ['9999.999999', 9_999_999_999n],
    ['0007.01', 7_010_000n],
  ])('parses %s yuan/kWh as %s micro-yuan/kWh', (text, microYuan) => {
    expect(parsePricePerKwh(text)).toBe(microYuan);
  });

  it.each([
    ['', 'empty'],
    ['.5', 'no whole part'],
    ['1.', 'dangling point'],
    ['-0.5', 'negative'],
    ['1e3', 'exponent'],
    ['10000', 'five whole digits'],
    ['0.1234567', 'seven decimals'],
    [' 0.5', 'leading space'],
    ['0,5', 'decimal comma'],
    ['abc', 'not a number'],
  ])('rejects "%s" (%s) with a message naming it', (text) => {
    expect(() => parsePricePerKwh(text)).toThrow(RangeError);
    expect(() => parsePricePerKwh(text)).toThrow(`price "${text}"`);
  });
});

describe('chargeForEnergyFen', () => {
  it.each([
    // energy Wh, price, fen — worked by hand
    [0, '0.5283', 0], //         nothing consumed
    [1000, '0.5283', 53], //     1 kWh × 0.5283 = 52.83 fen → 53
    [1000, '0.525', 53], //      52.5 fen: half rounds up
    [1000, '0.5249', 52], //     52.49 fen → 52
    [500, '0.01', 1], //         0.5 fen → 1
    [499, '0.01', 0], //         0.499 fen → 0
    [15, '1', 2], //             1.5 fen → 2
    [14, '1', 1], //             1.4 fen → 1
    [2500, '0.1', 25], //        exactly 25 fen
    [1, '9999.999999', 1000], // 999.9999999 fen → 1000
    [123_456_789, '0.5283', 6_522_222], // 123456.789 kWh × 0.5283 = 65222.2216287 yuan
  ])('%i Wh at %s yuan/kWh costs %i fen', (wh, price, fen) => {
    expect(chargeForEnergyFen(wh, parsePricePerKwh(price))).toBe(fen);
  });

  it.each([-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2])('rejects energy %s', (wh) => {
    expect(() => chargeForEnergyFen(wh, 528_300n)).toThrow(RangeError);
  });

  it('agrees with an independent computation for any price and energy', () => {
    fc.assert(
      fc.property(priceText, fc.integer({ min: 0, max: 10_000_000_000 }), (price, wh) => {
        expect(BigInt(chargeForEnergyFen(wh, parsePricePerKwh(price)))).toBe(referenceChargeFen(wh, price));
      }),
    );
  });
});

describe('tariff charges on cumulative energy', () => {
  const increments = fc.array(fc.integer({ min: 0, max: 5_000_000 }), { maxLength: 40 });

  it('per-reading charges sum to the charge on the total: no rounding drift', () => {
    fc.assert(
      fc.property(priceText, increments, (price, steps) => {
        const tariff = flat(price);
        let cumulative = 0;
        let sum = 0;
        for (const step of steps) {
          sum += chargeBetweenFen(tariff, cumulative, cumulative + step);
          cumulative += step;
        }
        expect(sum).toBe(cumulativeChargeFen(tariff, cumulative));
        expect(BigInt(sum)).toBe(referenceChargeFen(cumulative, price));
      }),
    );
  });

  it('a year of 15-minute readings of 1 Wh each still adds up exactly', () => {
    const tariff = flat('0.5283');
    let sum = 0;
    for (let wh = 0; wh < 35_040; wh++) sum += chargeBetweenFen(tariff, wh, wh + 1);
    // 35.04 kWh × 0.5283 = 18.511632 yuan = 1851.1632 fen → 1851, although each reading alone is 0.05 fen
    expect(sum).toBe(1851);
  });

  it('charges are never negative, and nothing is charged when the register does not advance', () => {
    fc.assert(
      fc.property(priceText, fc.nat(1e9), fc.nat(1e9), (price, a, b) => {
        const charge = chargeBetweenFen(flat(price), a, b);
        expect(charge).toBeGreaterThanOrEqual(0);
        if (b <= a) expect(charge).toBe(0);
      }),
    );
  });

  it('the cumulative charge is monotone in energy', () => {
    fc.assert(
      fc.property(priceText, fc.nat(1e9), fc.nat(1e9), (price, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(cumulativeChargeFen(flat(price), lo)).toBeLessThanOrEqual(cumulativeChargeFen(flat(price), hi));
      }),
    );
  });
});

describe('parseTariff', () => {
  it('accepts a flat tariff', () => {
    expect(parseTariff('{"kind":"flat","pricePerKwh":"0.5283"}')).toEqual({ kind: 'flat', pricePerKwh: '0.5283' });
  });

  it.each([
    ['{"kind":"tou","pricePerKwh":"0.5"}', 'not a known tariff'],
    ['{"kind":"flat","pricePerKwh":0.5}', 'not a known tariff'],
    ['{"kind":"flat","pricePerKwh":"-1"}', 'price "-1"'],
  ])('rejects %s', (json, message) => {
    expect(() => parseTariff(json)).toThrow(message);
  });
});

describe('formatYuan', () => {
  it.each([
    [12345, '123.45'],
    [0, '0.00'],
    [5, '0.05'],
    [-5, '-0.05'],
    [-12345, '-123.45'],
    [100, '1.00'],
  ])('%i fen is %s yuan', (fen, text) => {
    expect(formatYuan(fen)).toBe(text);
  });
});
