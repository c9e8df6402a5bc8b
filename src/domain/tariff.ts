// Tariffs: how consumption turns into money. Charges are computed on cumulative energy and
// differenced (DESIGN.md "Money and energy"), so per-reading charges always sum to the charge on
// the total energy: no rounding drift however many readings there are.
import { chargeForEnergyFen, parsePricePerKwh } from './money.js';

export interface FlatTariff {
  kind: 'flat';
  /** yuan per kWh as a decimal string, e.g. "0.5283" */
  pricePerKwh: string;
}

export type Tariff = FlatTariff;

export function parseTariff(json: string): Tariff {
  const value = JSON.parse(json) as Partial<Tariff>;
  if (value.kind !== 'flat' || typeof value.pricePerKwh !== 'string') {
    throw new RangeError(`tariff definition ${json} is not a known tariff (expected {"kind":"flat","pricePerKwh":"0.5283"})`);
  }
  parsePricePerKwh(value.pricePerKwh);
  return { kind: 'flat', pricePerKwh: value.pricePerKwh };
}

/** Cumulative charge for `energyWh` consumed since the meter's charging base. */
export function cumulativeChargeFen(tariff: Tariff, energyWh: number): number {
  return chargeForEnergyFen(energyWh, parsePricePerKwh(tariff.pricePerKwh));
}

/**
 * Charge for the energy between two cumulative register values (both relative to the same base).
 * Zero when the register did not advance; never negative.
 */
export function chargeBetweenFen(tariff: Tariff, fromWh: number, toWh: number): number {
  if (toWh <= fromWh) return 0;
  return cumulativeChargeFen(tariff, toWh) - cumulativeChargeFen(tariff, fromWh);
}
