// Several readings of one meter recorded and charged together (pending charging,
// src/ledger/pending-charging.ts). What a meter is charged is a function of its set of readings
// (src/ledger/charging.ts), so readings taken together are charged exactly what they are charged
// one by one: the difference between the charge of the affected segments after and before them.
//
//   the usual group: every reading new and later than the meter's latest, register not falling
//     → readings appended, meter row written once, one consumption entry for their energy
//   a meter's first readings → the earliest alone, then the rest as above
//   anything else (late, backwards, duplicate time, per-tariff registers)
//     → recordReading one by one, in arrival order
import type { MeterRow, Repositories } from '../db/repo/index.js';
import { chargeChange, recordReading, type ReadingInput } from './consumption.js';
import { scheduleForAccount } from './tariffs.js';

export type ReadingOutcome = 'stored' | 'duplicate' | 'backwards';

export interface GroupResult {
  /** what became of each reading, in the order given */
  outcomes: ReadingOutcome[];
  chargedFen: number;
  balanceChanged: boolean;
  /** readings whose interval from the reading before was split by time */
  split: number;
}

/** The readings in time order when they are the usual group, else null. */
function appendable(meter: MeterRow, inputs: ReadingInput[]): ReadingInput[] | null {
  if (meter.chargeBaseWh === null || meter.chargedEnergyWh === null || meter.lastReadingAt === null || meter.lastEnergyWh === null) return null;
  const lastTs = meter.lastReadingAt;
  for (const r of inputs) {
    if (r.tou || !Number.isSafeInteger(r.ts) || r.ts <= lastTs || !Number.isSafeInteger(r.energyWh) || r.energyWh < 0) return null;
  }
  const sorted = [...inputs].sort((a, b) => a.ts - b.ts);
  let previous = meter.lastEnergyWh;
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i]!;
    if ((i > 0 && r.ts === sorted[i - 1]!.ts) || r.energyWh < previous) return null;
    previous = r.energyWh;
  }
  return sorted;
}

/**
 * Records readings of one meter (`meter` as just read in this transaction) and charges them.
 * Call inside a transaction.
 */
export function recordReadings(repos: Repositories, meter: MeterRow, inputs: ReadingInput[], now: number, utcOffsetMinutes: number): GroupResult {
  if (inputs.length > 2 && meter.lastReadingAt === null) {
    // A meter's first readings: the earliest alone sets where charging starts, and the rest are
    // then usually a group (one by one, each would cost a dozen statements, and on PostgreSQL as
    // many round trips).
    let first = 0;
    for (let i = 1; i < inputs.length; i++) if (inputs[i]!.ts < inputs[first]!.ts) first = i;
    const head = recordReadings(repos, meter, [inputs[first]!], now, utcOffsetMinutes);
    const after = repos.meters.get(meter.id)!;
    const tail = recordReadings(repos, after, inputs.filter((_, i) => i !== first), now, utcOffsetMinutes);
    const outcomes = tail.outcomes;
    outcomes.splice(first, 0, head.outcomes[0]!);
    return { outcomes, chargedFen: head.chargedFen + tail.chargedFen, balanceChanged: head.balanceChanged || tail.balanceChanged, split: head.split + tail.split };
  }
  const sorted = inputs.length > 1 ? appendable(meter, inputs) : null;
  if (!sorted) {
    const result: GroupResult = { outcomes: [], chargedFen: 0, balanceChanged: false, split: 0 };
    inputs.forEach((input, i) => {
      const r = recordReading(repos, input, now, utcOffsetMinutes, i === 0 ? meter : undefined);
      result.outcomes.push(r.backwards ? 'backwards' : r.stored ? 'stored' : 'duplicate');
      result.chargedFen += r.chargedFen;
      result.balanceChanged ||= r.balanceChanged;
      if (r.split) result.split++;
    });
    return result;
  }
  const account = repos.accounts.get(meter.accountId)!;
  const schedule = scheduleForAccount(repos, account);
  const last = sorted[sorted.length - 1]!;
  const after = { baseWh: meter.chargeBaseWh!, chargedWh: Math.max(meter.chargedEnergyWh!, last.energyWh), lastTs: last.ts };
  // The readings extend the meter's latest interval: the window is from its latest reading to theirs.
  const byRegisters = schedule.some((a) => a.tariff.kind === 'tou') && repos.tariffs.touFirst(meter.id) !== undefined;
  const { fen, split } = chargeChange(repos, {
    meter, account, schedule, utcOffsetMinutes, byRegisters, from: meter.lastReadingAt!, to: last.ts,
    times: [meter.lastReadingAt!, ...sorted.map((r) => r.ts)], fresh: sorted.map((r) => r.ts), stableBefore: meter.lastReadingAt!,
    provisional: byRegisters,
    before: { baseWh: meter.chargeBaseWh!, chargedWh: meter.chargedEnergyWh!, lastTs: meter.lastReadingAt! }, after,
  }, now, () => {
    const stored = repos.meters.appendReadings(meter.id, sorted, after);
    if (stored !== sorted.length) throw new Error(`meter ${meter.id}: ${sorted.length - stored} of ${sorted.length} readings later than its latest were already stored`);
    return true;
  });
  return { outcomes: inputs.map(() => 'stored'), chargedFen: fen, balanceChanged: fen !== 0, split };
}
