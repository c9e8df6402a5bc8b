// Checks a reading's per-tariff registers against its total register over the interval from the
// meter's previous per-tariff registers (src/domain/register-consistency.ts). A difference beyond
// the tolerance raises `register-mismatch` and is kept on the meter (its latest one), shown by the
// API and the console. Which register is charged does not depend on it: the total is charged, the
// bands split it (docs/charging.md "Band and total registers").
import type { MeterRow, Repositories } from '../db/repo/index.js';
import type { TouRow } from '../db/repo/tariffs.js';
import { registerMismatch } from '../domain/register-consistency.js';
import type { TouRegisters } from './consumption.js';

const rise = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined ? null : b - a;

/** Compares the registers of the reading at `reading.ts` with those of `previous`; call after storing the reading. */
export function checkRegisters(repos: Repositories, meter: MeterRow, previous: TouRow, reading: TouRegisters & { ts: number; energyWh: number }, now: number): void {
  const previousTotal = repos.tariffs.readingAt(meter.id, previous.ts);
  if (previousTotal === undefined || reading.ts <= previous.ts) return;
  const mismatch = registerMismatch(reading.energyWh - previousTotal, {
    criticalWh: rise(previous.criticalWh, reading.criticalWh), peakWh: rise(previous.peakWh, reading.peakWh),
    flatWh: rise(previous.flatWh, reading.flatWh), valleyWh: rise(previous.valleyWh, reading.valleyWh),
  });
  if (!mismatch) return;
  const data = { from: previous.ts, to: reading.ts, ...mismatch };
  repos.journal.appendEvent('register-mismatch', meter.accountId, meter.id, data, now);
  repos.meters.setRegisterMismatch(meter.id, JSON.stringify(data));
}
