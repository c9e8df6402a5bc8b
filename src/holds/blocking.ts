// Operator relay commands respect holds: a disconnect waits for a keep-power hold to be released,
// a reconnect for a manual-off hold. The hold in the way, if any.
import type { Repositories, HoldRow, MeterRow } from '../db/repo/index.js';

export function holdBlocking(repos: Repositories, meter: Pick<MeterRow, 'id' | 'accountId'>, action: 'disconnect' | 'reconnect', at: number): HoldRow | undefined {
  const blocking = action === 'disconnect' ? 'keep-power' : 'manual-off';
  return repos.holds.inForceFor(meter.id, meter.accountId, at).find((h) => h.kind === blocking);
}
