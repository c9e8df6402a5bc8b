// Reconciling keep-power mirrors: a meter that can take keep-power commands should be under
// keep-power exactly while a keep-power hold covers it. Holds act at once when placed and
// released; this catches what could not go out then (a command was in flight) or failed since,
// retrying no sooner than the failure backoff. It looks only at meters under a hold now and at
// meters whose hold ended in the last week, so its cost follows the number of holds.
import type { Logger } from 'pino';
import type { Repositories, MeterRow } from '../db/repo/index.js';
import type { CommandService } from '../commands/service.js';

const LOOKBACK_MS = 7 * 86_400_000;

export function mirrorKeepPower(repos: Repositories, commands: CommandService, logger: Logger, now: number, failureBackoffMs: number): void {
  const meters = new Map<string, MeterRow>();
  const add = (scope: string, targetId: string) => {
    const list = scope === 'account' ? repos.meters.forAccount(targetId) : [repos.meters.get(targetId)].filter((m): m is MeterRow => !!m);
    for (const m of list) meters.set(m.id, m);
  };
  for (const h of repos.holds.inForce(now)) if (h.kind === 'keep-power') add(h.scope, h.targetId);
  for (const h of repos.holds.keepPowerEndedSince(now - LOOKBACK_MS, now)) add(h.scope, h.targetId);

  for (const meter of meters.values()) {
    if (!commands.keepPowerCapable(meter)) continue;
    const desired = repos.holds.inForceFor(meter.id, meter.accountId, now).some((h) => h.kind === 'keep-power');
    const last = repos.commands.lastKeepPower(meter.id);
    const want = desired ? 'keep-power' : 'keep-power-release';
    let needed: boolean;
    if (!last) {
      needed = desired;
    } else if (last.action !== want) {
      // The last mirror was the other way; a release is needed only if a keep-power may have landed.
      needed = desired || last.state !== 'cancelled';
    } else {
      const unconfirmed = last.state === 'failed' || last.state === 'expired' || last.state === 'cancelled' || last.state === 'refused' || last.state === 'unconfirmable';
      needed = unconfirmed && now >= (last.finishedAt ?? 0) + failureBackoffMs;
    }
    if (!needed) continue;
    try {
      commands.request({ meterId: meter.id, action: want, origin: 'hold', actor: 'engine', reason: desired ? 'keep-power hold not yet mirrored to the meter' : 'no keep-power hold covers the meter any more' });
    } catch (err) {
      logger.debug({ meter: meter.id, want, err: (err as Error).message }, 'keep-power mirror deferred');
    }
  }
}
