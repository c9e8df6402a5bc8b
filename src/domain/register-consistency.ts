// Consistency of a meter's per-tariff (time-of-use) registers with its total register over one
// interval (docs/charging.md "Band and total registers"). A DL/T 645 meter keeps the total and each
// rate's energy in registers of 0.01 kWh (DL/T 645-2007 data identifier 0001FF00, the forward
// active energy block: the total, then rates 1…4); the rates should add up to the total and differ
// only by the registers' truncation. Pure.

/** Allowed difference between the bands' rise and the total's: 50 Wh (five 0.01 kWh steps) plus 0.5 % of the total's rise. */
export function registerToleranceWh(totalWh: number): number {
  return 50 + Math.ceil(Math.max(0, totalWh) * 0.005);
}

export interface BandRise {
  criticalWh: number | null;
  peakWh: number | null;
  flatWh: number | null;
  valleyWh: number | null;
}

export interface RegisterMismatch {
  /** the total register's rise over the interval */
  totalWh: number;
  /** the sum of the band registers' rises */
  bandsWh: number;
  /** bandsWh − totalWh */
  differenceWh: number;
  toleranceWh: number;
}

/**
 * The mismatch of band registers that rose by `bands` beside a total that rose by `totalWh`, or
 * null when they agree within the tolerance. Bands the meter does not report are null: without a
 * flat register only an excess of the bands over the total can be told (flat is then the rest).
 */
export function registerMismatch(totalWh: number, bands: BandRise): RegisterMismatch | null {
  const reported = [bands.criticalWh, bands.peakWh, bands.flatWh, bands.valleyWh].filter((v): v is number => v !== null);
  const bandsWh = reported.reduce((sum, v) => sum + v, 0);
  const differenceWh = bandsWh - totalWh;
  const toleranceWh = registerToleranceWh(totalWh);
  const beyond = bands.flatWh === null ? differenceWh > toleranceWh : Math.abs(differenceWh) > toleranceWh;
  return beyond ? { totalWh, bandsWh, differenceWh, toleranceWh } : null;
}
