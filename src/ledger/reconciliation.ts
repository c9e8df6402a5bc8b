// Energy reconciliation of an account (docs/charging.md "Reconciling energy"): per meter and per
// charging period, the energy its register measured (by the attribution rule: the register's
// value at each period boundary, measured at a reading there, else interpolated) beside the
// energy the ledger's consumption entries charged to that period (the sum of their breakdown
// parts). They agree when every reading was charged once and rightly; a difference shows what
// to look at. Per meter it also compares the register's whole rise since charging began with the
// energy of all its consumption entries.
import type { AccountRow, Repositories } from '../db/repo/index.js';
import { segmentsBetween } from '../domain/tariff-schedule.js';
import { totalAt, type ChargingView } from './charging.js';
import type { ChargePart } from './consumption.js';
import { scheduleForAccount } from './tariffs.js';
import { AppError } from '../errors.js';

export interface PeriodReconciliation {
  meterId: string;
  tariffId: string;
  periodStart: number;
  periodEnd: number;
  meteredWh: number;
  chargedWh: number;
}

export interface MeterReconciliation {
  meterId: string;
  /** the register's rise since the meter's first reading (the charging base) */
  meteredWh: number;
  /** the energy of every consumption entry of the meter */
  ledgerWh: number;
  /** of which in entries written before entries carried a breakdown (not attributable to a period) */
  unattributedWh: number;
}

/** At most this many charging periods in one answer: narrow the range for more. */
export const RECONCILIATION_MAX_PERIODS = 2000;

/** The account's reconciliation over [from, to] (whole periods overlapping it), every meter. */
export function energyReconciliation(repos: Repositories, account: AccountRow, utcOffsetMinutes: number, from: number, to: number): {
  periods: PeriodReconciliation[]; meters: MeterReconciliation[];
} {
  const schedule = scheduleForAccount(repos, account);
  const charged = new Map<string, PeriodReconciliation>();
  const byMeter = new Map<string, { ledgerWh: number; unattributedWh: number }>();
  for (const e of repos.ledger.consumptionEntries(account.id)) {
    if (e.meterId === null) continue;
    let m = byMeter.get(e.meterId);
    if (!m) byMeter.set(e.meterId, (m = { ledgerWh: 0, unattributedWh: 0 }));
    m.ledgerWh += e.energyWh ?? 0;
    if (e.breakdown === null) {
      m.unattributedWh += e.energyWh ?? 0;
      continue;
    }
    for (const p of JSON.parse(e.breakdown) as ChargePart[]) {
      if (p.periodEnd <= from || p.periodStart > to) continue;
      const key = `${e.meterId}|${p.tariffId}|${p.periodStart}`;
      const row = charged.get(key) ?? { meterId: e.meterId, tariffId: p.tariffId, periodStart: p.periodStart, periodEnd: p.periodEnd, meteredWh: 0, chargedWh: 0 };
      row.chargedWh += p.energyWh;
      charged.set(key, row);
    }
  }
  const periods: PeriodReconciliation[] = [];
  const meters: MeterReconciliation[] = [];
  for (const meter of repos.meters.forAccount(account.id)) {
    const ledger = byMeter.get(meter.id) ?? { ledgerWh: 0, unattributedWh: 0 };
    const first = repos.tariffs.firstReading(meter.id);
    if (!first || meter.chargeBaseWh === null || meter.chargedEnergyWh === null || meter.lastReadingAt === null) {
      meters.push({ meterId: meter.id, meteredWh: 0, ...ledger });
      continue;
    }
    meters.push({ meterId: meter.id, meteredWh: meter.chargedEnergyWh - meter.chargeBaseWh, ...ledger });
    const lo = Math.max(from, first.ts);
    const hi = Math.min(to, meter.lastReadingAt);
    if (lo > hi) continue;
    const view: ChargingView = {
      repos, meterId: meter.id, byRegisters: false, utcOffsetMinutes,
      envelope: { baseWh: meter.chargeBaseWh, chargedWh: meter.chargedEnergyWh, lastTs: meter.lastReadingAt },
    };
    for (const s of segmentsBetween(schedule, lo, hi, utcOffsetMinutes)) {
      if (s.start > hi) break;
      if (periods.length >= RECONCILIATION_MAX_PERIODS) {
        throw new AppError('VALIDATION', `more than ${RECONCILIATION_MAX_PERIODS} charging periods: narrow from and to`, { field: 'from' });
      }
      const key = `${meter.id}|${s.tariffId}|${s.start}`;
      const row = charged.get(key) ?? { meterId: meter.id, tariffId: s.tariffId, periodStart: s.start, periodEnd: s.end, meteredWh: 0, chargedWh: 0 };
      charged.delete(key);
      row.meteredWh = Math.max(0, totalAt(view, s.end) - totalAt(view, s.start));
      periods.push(row);
    }
  }
  // Charged to periods the readings no longer reach (should be none): shown with nothing metered.
  periods.push(...charged.values());
  periods.sort((a, b) => a.meterId.localeCompare(b.meterId) || a.periodStart - b.periodStart);
  return { periods, meters };
}
