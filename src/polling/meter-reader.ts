// What scheduled collection needs from a protocol: read a meter's cumulative energy and relay
// state. One implementation per protocol family (DL/T 645, Modbus); the poller picks it by the
// meter's protocol. Knows no accounts: it gets a meter's wire identity and returns values.
import type { MeterRow } from '../db/repo/index.js';
import type { Priority } from './bus.js';

export interface MeterValues {
  /** forward active energy, total, integer Wh */
  energyWh: number;
  /** actual relay state, when the meter reports it */
  relay: 'open' | 'closed' | null;
  /** per-tariff registers (peak, flat, valley, critical), integer Wh, when the meter has them */
  touWh?: { peakWh?: number; flatWh?: number; valleyWh?: number; criticalWh?: number };
}

export interface MeterReader {
  read(meter: MeterRow, priority: Priority): Promise<MeterValues>;
}
