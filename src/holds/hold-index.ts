// The holds in force at one moment, indexed by meter and by account, so that a sweep over a
// million supply points looks holds up in memory instead of querying per meter.
import type { HoldRow } from '../db/repo/index.js';

export class HoldIndex {
  private readonly byMeter = new Map<string, HoldRow[]>();
  private readonly byAccount = new Map<string, HoldRow[]>();

  constructor(holds: HoldRow[]) {
    for (const h of holds) {
      const map = h.scope === 'meter' ? this.byMeter : this.byAccount;
      const list = map.get(h.targetId);
      if (list) list.push(h);
      else map.set(h.targetId, [h]);
    }
  }

  /** Holds covering a meter: its own and its account's. */
  for(meterId: string, accountId: string): HoldRow[] {
    const own = this.byMeter.get(meterId);
    const account = this.byAccount.get(accountId);
    if (!own) return account ?? [];
    if (!account) return own;
    return [...own, ...account];
  }

  get meterIds(): string[] {
    return [...this.byMeter.keys()];
  }

  get accountIds(): string[] {
    return [...this.byAccount.keys()];
  }
}

export function holdFlags(holds: HoldRow[]): { keepPowerHold: boolean; manualOffHold: boolean } {
  return { keepPowerHold: holds.some((h) => h.kind === 'keep-power'), manualOffHold: holds.some((h) => h.kind === 'manual-off') };
}
