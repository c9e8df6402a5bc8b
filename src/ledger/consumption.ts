// Turns meter readings into consumption charges. Readings are stored once per (meter, time);
// charges follow the highest register value seen, so duplicates and late or out-of-order
// readings are charged exactly once; a register that goes backwards raises an event and charges
// nothing (DESIGN.md "Money and energy").
import type { Repositories } from '../db/repo/index.js';
import { parseTariff, chargeBetweenFen } from '../domain/tariff.js';
import { applyEntry } from './ledger.js';

export interface ReadingInput {
  meterId: string;
  ts: number;
  energyWh: number;
}

export interface ReadingResult {
  stored: boolean;
  chargedFen: number;
  accountId: string;
  balanceChanged: boolean;
  backwards: boolean;
}

/** Records one reading and charges its consumption. Call inside a transaction. */
export function recordReading(repos: Repositories, input: ReadingInput, now: number): ReadingResult {
  const meter = repos.meters.get(input.meterId);
  if (!meter) throw new RangeError(`meter ${input.meterId} does not exist`);
  if (!Number.isSafeInteger(input.energyWh) || input.energyWh < 0) throw new RangeError(`energy ${input.energyWh} Wh is not a register value`);
  const result: ReadingResult = { stored: false, chargedFen: 0, accountId: meter.accountId, balanceChanged: false, backwards: false };
  const { previous, next } = repos.meters.neighbours(input.meterId, input.ts);
  result.stored = repos.meters.insertReading(input.meterId, input.ts, input.energyWh);
  if (!result.stored) return result;
  if ((previous && input.energyWh < previous.energyWh) || (next && input.energyWh > next.energyWh)) {
    result.backwards = true;
    repos.journal.appendEvent('register-backwards', meter.accountId, meter.id, {
      ts: input.ts, energyWh: input.energyWh, previous: previous ?? null, next: next ?? null,
    }, now);
    return result;
  }
  if (meter.chargeBaseWh === null || meter.chargedEnergyWh === null) {
    // The first reading sets the charging base: energy before it was never ours to charge.
    repos.meters.setCharged(meter.id, input.energyWh, input.energyWh);
    return result;
  }
  if (input.energyWh <= meter.chargedEnergyWh) return result;
  const definition = repos.accounts.tariffDefinition(repos.accounts.get(meter.accountId)!.tariffId)!;
  const tariff = parseTariff(definition);
  const fen = chargeBetweenFen(tariff, meter.chargedEnergyWh - meter.chargeBaseWh, input.energyWh - meter.chargeBaseWh);
  repos.meters.setCharged(meter.id, meter.chargeBaseWh, input.energyWh);
  if (fen > 0) {
    applyEntry(repos, {
      accountId: meter.accountId, kind: 'consumption', amountFen: -fen, actor: 'meter', at: now,
      meterId: meter.id, energyWh: input.energyWh - meter.chargedEnergyWh,
    });
    result.chargedFen = fen;
    result.balanceChanged = true;
  }
  return result;
}
