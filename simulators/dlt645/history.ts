// What a simulated meter remembers: its daily freezes (日冻结: the energy registers at each local
// midnight, newest first, as many as it keeps) and its event records (power-down, programming,
// meter cover opened), as DL/T 645-2007 Appendix A describes them. No bytes, no timers: the meter
// model calls freeze() as its clock passes midnight, and tests add events.

/** Meters keep China Standard Time (UTC+8). */
export const METER_UTC_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

export interface FrozenDay {
  /** The meter's clock at the freeze (local midnight), ms since the epoch. */
  at: number;
  totalWh: number;
  tariffWh: [number, number, number, number];
}

export type SimEventKind = 'powerDown' | 'programming' | 'coverOpen';

export interface SimEvent {
  /** The meter's clock when it began, ms. */
  at: number;
  /** When it ended (power-down, cover), ms; null while it lasts. */
  endAt?: number | null;
  /** Programming: operator code and the DIs written. */
  operator?: string;
  dataIdentifiers?: string[];
}

/** The first local midnight of the meter's clock strictly after `meterMs`. */
export function nextLocalMidnight(meterMs: number): number {
  return (Math.floor((meterMs + METER_UTC_OFFSET_MS) / DAY_MS) + 1) * DAY_MS - METER_UTC_OFFSET_MS;
}

/** 'YYYY-MM-DD hh:mm:ss' of the meter's local time. */
export function localText(meterMs: number): string {
  return new Date(meterMs + METER_UTC_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

export class MeterHistory {
  /** Newest first. */
  readonly frozen: FrozenDay[] = [];
  readonly events: Record<SimEventKind, SimEvent[]> = { powerDown: [], programming: [], coverOpen: [] };

  constructor(readonly frozenDaysKept: number) {
    if (!(Number.isInteger(frozenDaysKept) && frozenDaysKept >= 0 && frozenDaysKept <= 62)) {
      throw new RangeError(`frozenDaysKept must be 0..62, got ${frozenDaysKept}`);
    }
  }

  freeze(day: FrozenDay): void {
    if (this.frozenDaysKept === 0) return;
    this.frozen.unshift(day);
    this.frozen.length = Math.min(this.frozen.length, this.frozenDaysKept);
  }

  /** The n-th most recent freeze (1 = the latest), or undefined when the meter does not keep it. */
  frozenAt(n: number): FrozenDay | undefined {
    return this.frozen[n - 1];
  }

  addEvent(kind: SimEventKind, event: SimEvent): void {
    this.events[kind].unshift(event);
  }

  count(kind: SimEventKind): number {
    return this.events[kind].length;
  }

  latest(kind: SimEventKind): SimEvent | undefined {
    return this.events[kind][0];
  }
}
