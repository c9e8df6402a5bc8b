// Money and energy units. Money is integer fen, energy integer Wh; prices may carry more decimals
// than fen and are kept as integer micro-yuan per kWh so no float ever touches money.

/** Parses a decimal yuan-per-kWh price ("0.5283") into integer micro-yuan per kWh (528300). */
export function parsePricePerKwh(text: string): bigint {
  const m = /^(\d{1,4})(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new RangeError(`price "${text}" must be a decimal yuan amount with at most 6 decimals`);
  const whole = BigInt(m[1]!);
  const frac = BigInt((m[2] ?? '').padEnd(6, '0'));
  return whole * 1_000_000n + frac;
}

/**
 * Charge in fen for a cumulative amount of energy at one price, rounded half up.
 * fen = Wh / 1000 × µyuan / 1e6 × 100 = Wh × µyuan / 1e7.
 */
export function chargeForEnergyFen(energyWh: number, priceMicroYuanPerKwh: bigint): number {
  if (!Number.isSafeInteger(energyWh) || energyWh < 0) throw new RangeError(`energy ${energyWh} Wh must be a non-negative integer`);
  const numerator = BigInt(energyWh) * priceMicroYuanPerKwh;
  return Number((numerator + 5_000_000n) / 10_000_000n);
}

/**
 * Exact charge for energy at one price, in units of 1e-7 fen (Wh × micro-yuan/kWh = 1e-9 yuan).
 * Sums of these are exact; round once with `unitsToFen` (docs/design.md "Money and energy").
 */
export function chargeUnits(energyWh: number, priceMicroYuanPerKwh: bigint): bigint {
  if (!Number.isSafeInteger(energyWh) || energyWh < 0) throw new RangeError(`energy ${energyWh} Wh must be a non-negative integer`);
  return BigInt(energyWh) * priceMicroYuanPerKwh;
}

/** 1e-7 fen units to fen, rounded half up (the same rounding as `chargeForEnergyFen`). */
export function unitsToFen(units: bigint): number {
  if (units < 0n) throw new RangeError('a charge is never negative');
  return Number((units + 5_000_000n) / 10_000_000n);
}

/** Formats fen as yuan for people: 12345 → "123.45", -5 → "-0.05". */
export function formatYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
