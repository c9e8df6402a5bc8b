// What the HTTP layer is given: built once in src/daemon.ts and passed in.
import type { Repositories } from '../db/repo/index.js';
import type { Config } from '../config/schema.js';
import type { Engine } from '../engine/reconciler.js';
import type { CommandService } from '../commands/service.js';
import type { Metrics } from '../metrics.js';
import type { EventBus } from '../events.js';
import type { Collection } from '../polling/collection.js';
import type { WebhookTargets } from '../notify/targets.js';

export interface HttpServices {
  repos: Repositories;
  config: Config;
  engine: Engine;
  commands: CommandService;
  metrics: Metrics;
  events: EventBus;
  /** on-demand meter reads; absent in daemons without buses */
  collection?: Collection;
  /** the webhook dispatcher, woken when a subscriber is resumed; absent where none runs */
  webhooks?: { kick(): void };
  now: () => number;
  /** readiness; `warnings` say what needs an operator without making the daemon unready */
  ready: () => { ready: boolean; checks: Record<string, boolean>; warnings?: string[] };
  /** where webhooks may be sent (the daemon's, which knows its own listeners); from config when absent */
  webhookTargets?: WebhookTargets;
}

/** ISO 8601 with the configured offset, e.g. 2026-11-22T08:00:00.000+08:00. */
export function isoAt(ms: number | null, offsetMinutes: number): string | null {
  if (ms === null) return null;
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
