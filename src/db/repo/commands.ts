// Repository functions for relay commands and their lifecycle (requested → queued → sent →
// confirmed | failed | expired | cancelled).
import type { Sqlite } from '../connection.js';

export type CommandAction = 'disconnect' | 'reconnect';
export type CommandState = 'queued' | 'sent' | 'confirmed' | 'failed' | 'expired' | 'cancelled';
export const ACTIVE_STATES: readonly CommandState[] = ['queued', 'sent'];

export interface CommandRow {
  id: string;
  meterId: string;
  action: CommandAction;
  state: CommandState;
  origin: 'engine' | 'operator';
  actor: string;
  reason: string;
  attempts: number;
  outcome: string | null;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
  finishedAt: number | null;
  expiresAt: number;
  updatedAt: number;
}

const COMMAND_COLUMNS = `id, meter_id AS meterId, action, state, origin, actor, reason, attempts, outcome,
  last_error AS lastError, created_at AS createdAt, sent_at AS sentAt, finished_at AS finishedAt,
  expires_at AS expiresAt, updated_at AS updatedAt`;

export function commandsRepository(db: Sqlite) {
  const insert = db.prepare(`INSERT INTO commands (id, meter_id, action, state, origin, actor, reason, attempts,
    created_at, expires_at, updated_at)
    VALUES (@id, @meterId, @action, 'queued', @origin, @actor, @reason, 0, @createdAt, @expiresAt, @createdAt)`);
  const byId = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE id = ?`);
  const activeFor = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE meter_id = ? AND state IN ('queued', 'sent')`);
  const allActive = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE state IN ('queued', 'sent') ORDER BY created_at`);
  const forMeter = db.prepare(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE meter_id = ? ORDER BY created_at DESC, id LIMIT ?`);
  const markSent = db.prepare(`UPDATE commands SET state = 'sent', attempts = attempts + 1, sent_at = @at, updated_at = @at,
    last_error = NULL WHERE id = @id AND state IN ('queued', 'sent')`);
  const noteError = db.prepare(`UPDATE commands SET last_error = @error, updated_at = @at WHERE id = @id`);
  const finish = db.prepare(`UPDATE commands SET state = @state, outcome = @outcome, last_error = COALESCE(@error, last_error),
    finished_at = @at, updated_at = @at WHERE id = @id AND state IN ('queued', 'sent')`);

  return {
    insert(command: Pick<CommandRow, 'id' | 'meterId' | 'action' | 'origin' | 'actor' | 'reason' | 'createdAt' | 'expiresAt'>): void {
      insert.run(command);
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
    forMeter(meterId: string, limit: number): CommandRow[] {
      return forMeter.all(meterId, limit) as CommandRow[];
    },
    markSent(id: string, at: number): boolean {
      return markSent.run({ id, at }).changes === 1;
    },
    noteError(id: string, error: string, at: number): void {
      noteError.run({ id, error, at });
    },
    /** Moves an active command to a final state; false when it was already final. */
    finish(id: string, state: Exclude<CommandState, 'queued' | 'sent'>, outcome: string, at: number, error?: string): boolean {
      return finish.run({ id, state, outcome, at, error: error ?? null }).changes === 1;
    },
  };
}

export type CommandsRepository = ReturnType<typeof commandsRepository>;
