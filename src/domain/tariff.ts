// Tariffs: how consumption turns into money — flat, tiered (阶梯电价: a ladder of prices by the
// energy used in a month or a year) and time-of-use (峰/平/谷/尖 bands by local time of day).
// Definitions are JSON in the tariffs table. Charges are computed on cumulative energy and
// differenced (docs/design.md "Money and energy", docs/charging.md): within a charging period each
// part (the whole energy of a flat tariff, a ladder tier, a time-of-use band) is charged on its
// cumulative energy and rounded half up once, so per-reading charges always sum to the charge on
// the period's total energy: no rounding drift however many readings there are. Time (periods,
// bands) lives in tariff-time.ts.
import { chargeForEnergyFen, chargeUnits, parsePricePerKwh, unitsToFen } from './money.js';

export const TOU_BANDS = ['critical', 'peak', 'flat', 'valley'] as const;
export type TouBand = (typeof TOU_BANDS)[number];

export interface FlatTariff extends Partial<PeriodSpec> {
  kind: 'flat';
  /** yuan per kWh as a decimal string, e.g. "0.5283" */
  pricePerKwh: string;
}

/**
 * The period a ladder counts energy in (or a flat or time-of-use bill is rounded in: a month unless
 * said otherwise), and the local day it resets on.
 */
export interface PeriodSpec {
  period: 'month' | 'year';
  /** month of the year the annual period starts (1–12, default 1) */
  resetMonth?: number;
  /** day of the month the period starts (1–28, default 1) */
  resetDay?: number;
}

export interface TieredTariff extends PeriodSpec {
  kind: 'tiered';
  /** In order; every step but the last ends at `upToKwh` of the period's cumulative energy. */
  steps: Array<{ upToKwh?: number; pricePerKwh: string }>;
}

export interface TouRange {
  band: TouBand;
  /** local time of day "HH:MM", inclusive */
  from: string;
  /** local time of day "HH:MM", exclusive; earlier than `from` wraps past midnight */
  to: string;
  /** months (1–12) the range applies in, e.g. a summer critical peak; all months when absent */
  months?: number[];
}

export interface TouTariff extends Partial<PeriodSpec> {
  kind: 'tou';
  /** yuan per kWh per band; `flat` is required, a band without a price is charged at `flat` */
  prices: Partial<Record<TouBand, string>> & { flat: string };
  /** The first range containing a time gives its band; times no range covers are `flat`. */
  bands: TouRange[];
}

export type Tariff = FlatTariff | TieredTariff | TouTariff;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A definition refused, with the path of the field at fault (e.g. "steps.0.upToKwh") when one is. */
export class TariffDefinitionError extends RangeError {
  constructor(message: string, readonly field: string | undefined) {
    super(message);
    this.name = 'TariffDefinitionError';
  }
}

function fail(json: string, why: string, field?: string): never {
  throw new TariffDefinitionError(`tariff definition ${json} is not a known tariff: ${why}`, field);
}

/** "steps[0].pricePerKwh" → "steps.0.pricePerKwh" */
const dotted = (where: string) => where.replace(/\[(\d+)\]/g, '.$1');

function checkPrice(json: string, price: unknown, where: string): string {
  if (typeof price !== 'string') fail(json, `${where} must be a decimal string such as "0.5283"`, dotted(where));
  try {
    parsePricePerKwh(price);
  } catch (err) {
    fail(json, `${where}: ${(err as Error).message}`, dotted(where));
  }
  return price;
}

function checkPeriod(json: string, v: Partial<PeriodSpec>, required: boolean): PeriodSpec | undefined {
  if (v.period === undefined && !required) return undefined;
  if (v.period !== 'month' && v.period !== 'year') fail(json, 'period must be "month" or "year"', 'period');
  const out: PeriodSpec = { period: v.period };
  if (v.resetMonth !== undefined) {
    if (!Number.isInteger(v.resetMonth) || v.resetMonth < 1 || v.resetMonth > 12) fail(json, 'resetMonth must be 1–12', 'resetMonth');
    out.resetMonth = v.resetMonth;
  }
  if (v.resetDay !== undefined) {
    if (!Number.isInteger(v.resetDay) || v.resetDay < 1 || v.resetDay > 28) fail(json, 'resetDay must be 1–28', 'resetDay');
    out.resetDay = v.resetDay;
  }
  return out;
}

/**
 * The API's error for a refused definition at `prefix` (the request's path to it): the field at
 * fault in `details.field` and at the head of the message.
 */
export function definitionFault(err: unknown, prefix: string): { message: string; field: string } {
  const field = err instanceof TariffDefinitionError && err.field ? `${prefix}.${err.field}` : prefix;
  return { message: `${field}: ${(err as Error).message}`, field };
}

/** Validates a parsed definition; the error names what is wrong. */
export function validateTariff(value: unknown, json = JSON.stringify(value)): Tariff {
  if (typeof value !== 'object' || value === null) fail(json, 'expected an object');
  const v = value as Record<string, unknown>;
  if (v.kind === 'flat') {
    const period = checkPeriod(json, v as Partial<PeriodSpec>, false);
    return { kind: 'flat', pricePerKwh: checkPrice(json, v.pricePerKwh, 'pricePerKwh'), ...(period ?? {}) };
  }
  if (v.kind === 'tiered') {
    const period = checkPeriod(json, v as Partial<PeriodSpec>, true)!;
    if (!Array.isArray(v.steps) || v.steps.length === 0) fail(json, 'steps must be a non-empty array', 'steps');
    let previous = 0;
    const steps = (v.steps as Array<Record<string, unknown>>).map((s, i, all) => {
      const pricePerKwh = checkPrice(json, s?.pricePerKwh, `steps[${i}].pricePerKwh`);
      if (i === all.length - 1) {
        if (s.upToKwh !== undefined && s.upToKwh !== null) fail(json, 'the last step has no upToKwh (it has no end)', `steps.${i}.upToKwh`);
        return { pricePerKwh };
      }
      const upTo = s.upToKwh;
      if (typeof upTo !== 'number' || !Number.isInteger(upTo) || upTo <= previous) {
        fail(json, `steps[${i}].upToKwh must be a whole number of kWh above ${previous}`, `steps.${i}.upToKwh`);
      }
      previous = upTo;
      return { upToKwh: upTo, pricePerKwh };
    });
    return { kind: 'tiered', ...period, steps };
  }
  if (v.kind === 'tou') {
    const period = checkPeriod(json, v as Partial<PeriodSpec>, false);
    const rawPrices = v.prices as Record<string, unknown> | undefined;
    if (typeof rawPrices !== 'object' || rawPrices === null) fail(json, 'prices must be an object of band → price', 'prices');
    const prices: Partial<Record<TouBand, string>> = {};
    for (const [band, price] of Object.entries(rawPrices)) {
      if (!(TOU_BANDS as readonly string[]).includes(band)) fail(json, `unknown band "${band}" (bands: ${TOU_BANDS.join(', ')})`);
      prices[band as TouBand] = checkPrice(json, price, `prices.${band}`);
    }
    if (!prices.flat) fail(json, 'prices.flat is required (times no band covers are flat)');
    if (!Array.isArray(v.bands)) fail(json, 'bands must be an array of {band, from, to}', 'bands');
    const bands = (v.bands as Array<Record<string, unknown>>).map((r, i): TouRange => {
      if (!(TOU_BANDS as readonly string[]).includes(r?.band as string)) fail(json, `bands[${i}].band must be one of ${TOU_BANDS.join(', ')}`);
      if (typeof r.from !== 'string' || !HHMM.test(r.from) || typeof r.to !== 'string' || !HHMM.test(r.to)) {
        fail(json, `bands[${i}] needs from and to as "HH:MM"`);
      }
      if (r.from === r.to) fail(json, `bands[${i}] is empty (from equals to)`);
      const range: TouRange = { band: r.band as TouBand, from: r.from, to: r.to };
      if (r.months !== undefined) {
        if (!Array.isArray(r.months) || r.months.length === 0 || !r.months.every((m) => Number.isInteger(m) && m >= 1 && m <= 12)) {
          fail(json, `bands[${i}].months must be a non-empty list of months 1–12`);
        }
        range.months = [...(r.months as number[])];
      }
      return range;
    });
    return { kind: 'tou', ...(period ?? {}), prices: prices as TouTariff['prices'], bands };
  }
  throw new RangeError(`tariff definition ${json} is not a known tariff (expected kind "flat", "tiered" or "tou", e.g. {"kind":"flat","pricePerKwh":"0.5283"})`);
}

export function parseTariff(json: string): Tariff {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new RangeError(`tariff definition ${json} is not JSON`);
  }
  return validateTariff(value, json);
}

/** The energy of tier `i` (0-based) when the period's cumulative energy is `energyWh`. */
export function tierEnergyWh(tariff: TieredTariff, i: number, energyWh: number): number {
  const from = i === 0 ? 0 : tariff.steps[i - 1]!.upToKwh! * 1000;
  const upTo = tariff.steps[i]!.upToKwh;
  const to = upTo === undefined ? Infinity : upTo * 1000;
  return Math.max(0, Math.min(energyWh, to) - from);
}

/** Exact cumulative charge (1e-7 fen units) for `energyWh` used within one ladder period. */
export function ladderUnits(tariff: TieredTariff, energyWh: number): bigint {
  let units = 0n;
  tariff.steps.forEach((step, i) => { units += chargeUnits(tierEnergyWh(tariff, i, energyWh), parsePricePerKwh(step.pricePerKwh)); });
  return units;
}

/** The price of a band; a band without its own price is charged at flat. */
export function bandPrice(tariff: TouTariff, band: TouBand): string {
  return tariff.prices[band] ?? tariff.prices.flat;
}

/**
 * Cumulative charge for `energyWh` since the start of a flat tariff's or a ladder's period: each
 * tier rounded half up on its own energy, as a bill shows it. A time-of-use tariff needs the
 * energy per band: use `segmentChargeFen`.
 */
export function cumulativeChargeFen(tariff: Tariff, energyWh: number): number {
  if (tariff.kind === 'flat') return chargeForEnergyFen(energyWh, parsePricePerKwh(tariff.pricePerKwh));
  if (tariff.kind === 'tiered') {
    return tariff.steps.reduce((fen, step, i) => fen + chargeForEnergyFen(tierEnergyWh(tariff, i, energyWh), parsePricePerKwh(step.pricePerKwh)), 0);
  }
  throw new RangeError('a time-of-use charge depends on the energy per band; use segmentChargeFen');
}

/**
 * Charge for the energy between two cumulative register values (both relative to the same base).
 * Zero when the register did not advance; never negative.
 */
export function chargeBetweenFen(tariff: Tariff, fromWh: number, toWh: number): number {
  if (toWh <= fromWh) return 0;
  return cumulativeChargeFen(tariff, toWh) - cumulativeChargeFen(tariff, fromWh);
}

export type BandEnergy = Record<TouBand, number>;

export const noBandEnergy = (): BandEnergy => ({ critical: 0, peak: 0, flat: 0, valley: 0 });

/** The energy of one charging segment: its total, the ladder energy before it, and per band. */
export interface SegmentEnergy {
  totalWh: number;
  /** tiered: energy of the same ladder period before the segment (a tariff change mid-period) */
  priorWh: number;
  /** time-of-use: energy per band */
  bandWh: BandEnergy;
}

/** What one part of a segment's energy costs: a flat tariff has one part, a ladder one per tier, time-of-use one per band. */
export interface PartCharge {
  /** "all", "tier-1"…, or a band name */
  part: string;
  tier?: number;
  band?: TouBand;
  pricePerKwh: string;
  energyWh: number;
  /** the part's cumulative charge in the segment, rounded half up once */
  fen: number;
}

/**
 * The parts of one charging segment on its cumulative energy, each rounded once: flat on the
 * total; tiered per tier, the tiers placed after the ladder energy already used in the period
 * before the segment (`priorWh`); time-of-use per band. Parts without energy are left out.
 */
export function segmentParts(tariff: Tariff, energy: SegmentEnergy): PartCharge[] {
  if (tariff.kind === 'flat') {
    if (energy.totalWh <= 0) return [];
    return [{ part: 'all', pricePerKwh: tariff.pricePerKwh, energyWh: energy.totalWh, fen: chargeForEnergyFen(energy.totalWh, parsePricePerKwh(tariff.pricePerKwh)) }];
  }
  const parts: PartCharge[] = [];
  if (tariff.kind === 'tiered') {
    tariff.steps.forEach((step, i) => {
      const wh = tierEnergyWh(tariff, i, energy.priorWh + energy.totalWh) - tierEnergyWh(tariff, i, energy.priorWh);
      if (wh > 0) parts.push({ part: `tier-${i + 1}`, tier: i + 1, pricePerKwh: step.pricePerKwh, energyWh: wh, fen: chargeForEnergyFen(wh, parsePricePerKwh(step.pricePerKwh)) });
    });
    return parts;
  }
  for (const band of TOU_BANDS) {
    const wh = energy.bandWh[band];
    const price = bandPrice(tariff, band);
    if (wh > 0) parts.push({ part: band, band, pricePerKwh: price, energyWh: wh, fen: unitsToFen(chargeUnits(wh, parsePricePerKwh(price))) });
  }
  return parts;
}

/** The charge of one charging segment: the sum of its parts. */
export function segmentChargeFen(tariff: Tariff, energy: SegmentEnergy): number {
  return segmentParts(tariff, energy).reduce((fen, p) => fen + p.fen, 0);
}
