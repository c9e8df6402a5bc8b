// Energy registers of a simulated meter: forward active energy in integer Wh, total and per tariff,
// integrated from a load in watts over the meter's clock. A sub-Wh accumulator (in W·ms) carries
// the remainder from one step to the next, so no energy is lost however often the meter is read.
// Each whole Wh is credited to the tariff in force when it completed, so the tariff registers
// always add up to the total exactly.

/** Tariff number 1..4 (DL/T 645 rates: 1 critical peak/peak, 2 peak, 3 flat, 4 valley, by convention). */
export type TariffNumber = 1 | 2 | 3 | 4;

/** Maps a moment (ms since the epoch, the meter's clock) to the tariff in force then. */
export type TariffPeriodFn = (atMs: number) => TariffNumber;

const MS_PER_HOUR = 3_600_000;
/** One Wh expressed in W·ms. */
const WMS_PER_WH = MS_PER_HOUR;
/** Integration step: tariff periods are assumed to change on whole minutes. */
const STEP_MS = 60_000;

/** Meters keep China Standard Time (UTC+8) whatever the zone of the machine running them. */
const METER_UTC_OFFSET_MS = 8 * MS_PER_HOUR;

/**
 * A common time-of-use plan on the meter's local time (UTC+8): valley 23:00–07:00 (4), peak
 * 08:00–11:00 and 18:00–23:00 (2), flat otherwise (3).
 */
export const defaultTariffPeriod: TariffPeriodFn = (atMs) => {
  const hour = new Date(atMs + METER_UTC_OFFSET_MS).getUTCHours();
  if (hour >= 23 || hour < 7) return 4;
  if ((hour >= 8 && hour < 11) || (hour >= 18 && hour < 23)) return 2;
  return 3;
};

export interface EnergySnapshot {
  /** Forward active energy, total, Wh. */
  totalWh: number;
  /** Forward active energy per tariff 1..4 (index 0 is tariff 1), Wh. */
  tariffWh: [number, number, number, number];
}

export class EnergyRegisters {
  totalWh: number;
  readonly tariffWh: [number, number, number, number];
  /** Energy not yet a whole Wh, in W·ms (0 <= value < 3 600 000). */
  private remainderWms = 0;

  constructor(initial: Partial<EnergySnapshot> = {}) {
    this.tariffWh = [...(initial.tariffWh ?? [0, 0, 0, 0])] as [number, number, number, number];
    const tariffSum = this.tariffWh.reduce((sum, wh) => sum + wh, 0);
    this.totalWh = initial.totalWh ?? tariffSum;
    for (const wh of [this.totalWh, ...this.tariffWh]) {
      if (!Number.isSafeInteger(wh) || wh < 0) throw new RangeError(`energy must be integer Wh >= 0, got ${wh}`);
    }
    // A meter configured with only a total starts with it all in the flat tariff.
    if (initial.tariffWh === undefined) this.tariffWh[2] = this.totalWh;
  }

  /** Integrates `loadW` over [fromMs, toMs), split across tariff periods at whole minutes. */
  advance(fromMs: number, toMs: number, loadW: number, tariffOf: TariffPeriodFn): void {
    if (!(toMs > fromMs) || !(loadW > 0)) return;
    let at = fromMs;
    while (at < toMs) {
      const nextMinute = (Math.floor(at / STEP_MS) + 1) * STEP_MS;
      const end = Math.min(nextMinute, toMs);
      this.add(loadW * (end - at), tariffOf(at));
      at = end;
    }
  }

  /** Adds energy in W·ms to the accumulator and credits whole Wh to `tariff`. */
  private add(wms: number, tariff: TariffNumber): void {
    this.remainderWms += wms;
    const whole = Math.floor(this.remainderWms / WMS_PER_WH);
    if (whole <= 0) return;
    this.remainderWms -= whole * WMS_PER_WH;
    this.totalWh += whole;
    this.tariffWh[tariff - 1] = (this.tariffWh[tariff - 1] ?? 0) + whole;
  }

  snapshot(): EnergySnapshot {
    return { totalWh: this.totalWh, tariffWh: [...this.tariffWh] };
  }
}
