// The meters behind a simulated concentrator: a cumulative energy register that advances with the
// load while the relay is closed, and the relay itself. Readings come out in the wire format of the
// concentrator contract (energy in kWh with the meter's 0.01 kWh resolution, time with +08:00).

export interface SimMeterSpec {
  /** the meter id the concentrator uses in its messages */
  address: string;
  /** register at start, Wh (default 0) */
  energyWh?: number;
  relay?: 'open' | 'closed';
  /** load while the relay is closed, W (default 0) */
  loadW?: number;
}

export interface WireReading {
  meter: string;
  ts: string;
  energyKwh?: number;
  energyWh?: number;
  relay?: 'open' | 'closed';
  [extra: string]: unknown;
}

/** ISO 8601 with a fixed offset, e.g. 2026-11-22T08:00:00+08:00 (milliseconds only when not zero). */
export function isoWithOffset(ms: number, offsetMinutes = 480): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, ms % 1000 === 0 ? 19 : 23);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export class SimConcentratorMeter {
  readonly address: string;
  relay: 'open' | 'closed';
  loadW: number;
  private energyMilliWh: number;
  private lastAt: number;

  constructor(spec: SimMeterSpec, now: number) {
    this.address = spec.address;
    this.relay = spec.relay ?? 'closed';
    this.loadW = spec.loadW ?? 0;
    this.energyMilliWh = (spec.energyWh ?? 0) * 1000;
    this.lastAt = now;
  }

  /** Advances the register to `now` (energy flows only while the relay is closed). */
  advance(now: number): void {
    if (now > this.lastAt && this.relay === 'closed') this.energyMilliWh += (this.loadW * (now - this.lastAt)) / 3600;
    this.lastAt = Math.max(this.lastAt, now);
  }

  /** The register in Wh, at the meter's 0.01 kWh resolution. */
  get energyWh(): number {
    return Math.floor(this.energyMilliWh / 10_000) * 10;
  }

  set energyWh(wh: number) {
    this.energyMilliWh = wh * 1000;
  }

  reading(now: number, offsetMinutes: number, unit: 'kWh' | 'Wh' = 'kWh'): WireReading {
    this.advance(now);
    const energy = unit === 'kWh' ? { energyKwh: this.energyWh / 1000 } : { energyWh: this.energyWh };
    return { meter: this.address, ts: isoWithOffset(now, offsetMinutes), ...energy, relay: this.relay };
  }
}
