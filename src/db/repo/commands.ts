// Repository functions for relay commands and their lifecycle (queued → sent → confirmed |
// failed | expired | cancelled). Relay commands switch the relay (disconnect, reconnect); keep-power
// commands mirror a keep-power hold to the meter (0x1C N1 = 3A / 3B) and leave the relay alone.
import type { Database } from '../database.js';
import { jsonValues } from '../dialect.js';
import type { LeaseFence } from './leases.js';
import type { CommandAction, CommandOrigin, CommandOutcome, CommandState, FinalCommandState } from '../../domain/codes.js';

// The states, outcomes, actions and origins, each value described: src/domain/codes.ts.
export type { CommandAction, CommandOrigin, CommandOutcome, CommandState } from '../../domain/codes.js';
export { ACTIVE_STATES } from '../../domain/codes.js';

export interface CommandRow {
  id: string;
  meterId: string;
  action: CommandAction;
  state: CommandState;
  origin: CommandOrigin;
  actor: string;
  reason: string;
  attempts: number;
  /** final outcome; while active, the latest intermediate one (e.g. 'trip-delayed') or null */
  outcome: CommandOutcome | null;
  /** what went wrong in the current attempt, or why it ended; null once confirmed */
  lastError: string | null;
  /** the error of an earlier attempt (or of this one, once confirmed), kept apart */
  lastAttemptError: string | null;
  createdAt: number;
  sentAt: number | null;
  finishedAt: number | null;
  expiresAt: number;
  updatedAt: number;
  bulkId: string | null;
  /** what made it due (the payment of a restore), when that came before it; latency counts from here */
  triggerAt: number | null;
}

export type NewCommand = Pick<CommandRow, 'id' | 'meterId' | 'action' | 'origin' | 'actor' | 'reason' | 'createdAt' | 'expiresAt'>
  & { bulkId?: string | null; triggerAt?: number | null };

const COMMAND_COLUMNS = `id, meter_id AS "meterId", action, state, origin, actor, reason, attempts, outcome,
  last_error AS "lastError", last_attempt_error AS "lastAttemptError", created_at AS "createdAt", sent_at AS "sentAt", finished_at AS "finishedAt",
  expires_at AS "expiresAt", updated_at AS "updatedAt", bulk_id AS "bulkId", trigger_at AS "triggerAt"`;

export function commandsRepository(db: Database) {
  const insert = db.prepare(`INSERT INTO commands (id, meter_id, action, state, origin, actor, reason, attempts,
    created_at, sent_at, expires_at, updated_at, bulk_id, trigger_at)
    VALUES (@id, @meterId, @action, CASE WHEN @sent = 1 THEN 'sent' ELSE 'queued' END, @origin, @actor, @reason, @sent,
    @createdAt, CASE WHEN @sent = 1 THEN CAST(@createdAt AS bigint) END, @expiresAt, @createdAt, @bulkId, @triggerAt)`);
  const byId = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE id = ?`);
  const activeFor = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE meter_id = ? AND state IN ('queued', 'sent')`);
  const allActive = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE state IN ('queued', 'sent') ORDER BY created_at`);
  const activeOnBus = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands
    WHERE state IN ('queued', 'sent') AND meter_id IN (SELECT id FROM meters WHERE bus_id = ?) ORDER BY created_at`);
  const forMeter = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE meter_id = ? ORDER BY created_at DESC, id LIMIT ?`);
  const relaySince = db.prepare(`SELECT action, state, sent_at AS "sentAt", finished_at AS "finishedAt", origin FROM commands
    WHERE meter_id = ? AND action IN ('disconnect', 'reconnect') AND (created_at >= ? OR state IN ('queued', 'sent'))
    ORDER BY created_at DESC, id`);
  const lastRelay = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands
    WHERE meter_id = ? AND action IN ('disconnect', 'reconnect') AND state <> 'cancelled' ORDER BY created_at DESC, id LIMIT 1`);
  const lastKeepPower = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands
    WHERE meter_id = ? AND action IN ('keep-power', 'keep-power-release') ORDER BY created_at DESC, id LIMIT 1`);
  const forBulk = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE bulk_id = ? ORDER BY meter_id`);
  const bulkCounts = db.prepare(`SELECT state, COUNT(*) AS n FROM commands WHERE bulk_id = ? GROUP BY state`);
  const queuedOfBulk = db.prepare(`SELECT id FROM commands WHERE bulk_id = ? AND state = 'queued'`).pluck();
  // A new attempt starts with no error; the one before keeps its own apart.
  const markSent = db.prepare(`UPDATE commands SET state = 'sent', attempts = attempts + 1, sent_at = @at, updated_at = @at,
    last_attempt_error = COALESCE(last_error, last_attempt_error), last_error = NULL WHERE id = @id AND state IN ('queued', 'sent')`);
  const markSentFenced = db.prepare(`UPDATE commands SET state = 'sent', attempts = attempts + 1, sent_at = @at, updated_at = @at,
    last_attempt_error = COALESCE(last_error, last_attempt_error), last_error = NULL WHERE id = @id AND state IN ('queued', 'sent')
    AND EXISTS (SELECT 1 FROM bus_leases WHERE bus_id = @busId AND node_id = @nodeId AND epoch = @epoch)`);
  const noteError = db.prepare(`UPDATE commands SET last_error = @error, updated_at = @at WHERE id = @id`);
  const noteOutcome = db.prepare(`UPDATE commands SET outcome = @outcome, last_error = @error, updated_at = @at
    WHERE id = @id AND state IN ('queued', 'sent')`);
  // Confirmed: nothing is wrong any more; what went wrong on the way is kept apart.
  const finish = db.prepare(`UPDATE commands SET state = @state, outcome = @outcome,
    last_error = CASE WHEN CAST(@state AS text) = 'confirmed' THEN NULL ELSE COALESCE(@error, last_error) END,
    last_attempt_error = CASE WHEN CAST(@state AS text) = 'confirmed' THEN COALESCE(last_error, last_attempt_error) ELSE last_attempt_error END,
    finished_at = @at, updated_at = @at WHERE id = @id AND state IN ('queued', 'sent')`);
  const listPage = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands
    WHERE (created_at, id) < (@beforeAt, @beforeId) AND (CAST(@states AS text) IS NULL OR state IN (SELECT value FROM ${jsonValues(db, '@states')}))
    AND (CAST(@meterId AS text) IS NULL OR meter_id = @meterId) AND (CAST(@origin AS text) IS NULL OR origin = @origin)
    AND (CAST(@since AS bigint) IS NULL OR created_at >= @since) ORDER BY created_at DESC, id DESC LIMIT @limit`);

  return {
    /** Inserts a queued command, or with `sent` one already marked sent (its first attempt starts at once). */
    insert(command: NewCommand, sent = false): void {
      insert.run({ bulkId: null, triggerAt: null, ...command, sent: sent ? 1 : 0 });
    },
    get(id: string): CommandRow | undefined {
      return byId.get(id) as CommandRow | undefined;
    },
    activeFor(meterId: string): CommandRow | undefined {
      return activeFor.get(meterId) as CommandRow | undefined;
    },
    allActive(): CommandRow[] {
      return allActive.all() as CommandRow[];
    },
    /** Active commands of the meters on one bus, oldest first (what the bus's owner runs). */
    activeOnBus(busId: string): CommandRow[] {
      return activeOnBus.all(busId) as CommandRow[];
    },
    forMeter(meterId: string, limit: number): CommandRow[] {
      return forMeter.all(meterId, limit) as CommandRow[];
    },
    /** Relay commands created since `since` plus any still active, newest first (relay safety's history). */
    relayHistory(meterId: string, since: number): Array<{ action: 'disconnect' | 'reconnect'; state: string; sentAt: number | null; finishedAt: number | null; origin: string }> {
      return relaySince.all(meterId, since) as Array<{ action: 'disconnect' | 'reconnect'; state: string; sentAt: number | null; finishedAt: number | null; origin: string }>;
    },
    /** The newest relay command (disconnect or reconnect) of the meter that was not cancelled. */
    lastRelay(meterId: string): CommandRow | undefined {
      return lastRelay.get(meterId) as CommandRow | undefined;
    },
    /** The newest keep-power or keep-power-release command of the meter. */
    lastKeepPower(meterId: string): CommandRow | undefined {
      return lastKeepPower.get(meterId) as CommandRow | undefined;
    },
    forBulk(bulkId: string): CommandRow[] {
      return forBulk.all(bulkId) as CommandRow[];
    },
    bulkCounts(bulkId: string): Record<string, number> {
      const out: Record<string, number> = {};
      for (const r of bulkCounts.all(bulkId) as Array<{ state: string; n: number }>) out[r.state] = r.n;
      return out;
    },
    queuedOfBulk(bulkId: string): string[] {
      return queuedOfBulk.all(bulkId) as string[];
    },
    /**
     * Marks an active command sent (one more attempt). With a fence, only while the bus's lease row
     * still names that node at that epoch. False when nothing was marked.
     */
    markSent(id: string, at: number, fence?: LeaseFence | null): boolean {
      if (!fence) return markSent.run({ id, at }).changes === 1;
      return markSentFenced.run({ id, at, busId: fence.busId, nodeId: fence.nodeId, epoch: fence.epoch }).changes === 1;
    },
    noteError(id: string, error: string, at: number): void {
      noteError.run({ id, error, at });
    },
    /** Records an intermediate outcome of an active command ('trip-delayed', 'close-permitted'). */
    noteOutcome(id: string, outcome: CommandOutcome, error: string | null, at: number): void {
      noteOutcome.run({ id, outcome, error, at });
    },
    /** Moves an active command to a final state; false when it was already final. */
    finish(id: string, state: FinalCommandState, outcome: CommandOutcome, at: number, error?: string): boolean {
      return finish.run({ id, state, outcome, at, error: error ?? null }).changes === 1;
    },
    /** Commands newest first, before the cursor (createdAt, id), filtered by state, meter and origin. */
    list(filter: { states?: CommandState[] | null; meterId?: string | null; origin?: string | null; since?: number | null },
      before: { createdAt: number; id: string } | null, limit: number): CommandRow[] {
      return listPage.all({
        beforeAt: before?.createdAt ?? Number.MAX_SAFE_INTEGER, beforeId: before?.id ?? '', limit,
        states: filter.states && filter.states.length > 0 ? JSON.stringify(filter.states) : null,
        meterId: filter.meterId ?? null, origin: filter.origin ?? null, since: filter.since ?? null,
      }) as CommandRow[];
    },
  };
}

export type CommandsRepository = ReturnType<typeof commandsRepository>;

/**
 * Whether a failed insert hit the one-active-command-per-meter index (commands_one_active_per_meter):
 * another writer created a command for the meter since this one looked. SQLite names the column,
 * PostgreSQL the index.
 */
export function isActiveCommandConflict(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; constraint?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE') return typeof e.message === 'string' && e.message.includes('commands.meter_id');
  return e.code === '23505' && e.constraint === 'commands_one_active_per_meter';
}
