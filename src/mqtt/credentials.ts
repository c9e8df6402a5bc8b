// Concentrators' MQTT credentials, as the API and the CLI create and revoke them: the user name is
// the concentrator id, the password a random secret returned once and stored only as its hash.
// A concentrator has at most one active credential: a new one replaces (revokes) the one before,
// which is how a password is rotated. Every change is audited with its actor.
import { randomUUID } from 'node:crypto';
import type { Repositories } from '../db/repo/index.js';
import { AppError } from '../errors.js';
import { CONCENTRATOR_ID } from './topics.js';
import { hashMqttPassword, newMqttSecret } from './password-hash.js';

export interface CreatedMqttCredential {
  id: string;
  /** the MQTT user name: the concentrator id */
  username: string;
  /** shown once, never stored */
  password: string;
  /** the credential this one replaced (now revoked), if any */
  replaced: string | null;
}

/**
 * A concentrator id must be one topic level, and not one of the daemon's client ids (`daemonStem`
 * and `{daemonStem}-…`, which the brokers reserve for the daemon: such a concentrator could never
 * connect).
 */
export function checkConcentratorId(concentratorId: string, daemonStem?: string): void {
  if (!CONCENTRATOR_ID.test(concentratorId)) {
    throw new AppError('VALIDATION', `concentrator id "${concentratorId}" is not valid: 1 to 64 of letters, digits and _ . : -`);
  }
  if (daemonStem !== undefined && (concentratorId === daemonStem || concentratorId.startsWith(`${daemonStem}-`))) {
    throw new AppError('VALIDATION', `concentrator id "${concentratorId}" is reserved: the daemon's MQTT client ids are "${daemonStem}" and "${daemonStem}-…" (mqtt.clientId)`);
  }
}

/**
 * Creates a credential for `concentratorId` (revoking its active one) inside the caller's
 * transaction. `passwordHash` may be computed beforehand off the event loop
 * (hashMqttPasswordAsync) together with `password`; otherwise both are made here.
 */
export function createMqttCredential(
  repos: Repositories, concentratorId: string, actor: string, now: number,
  secret?: { password: string; passwordHash: string }, daemonStem?: string,
): CreatedMqttCredential {
  checkConcentratorId(concentratorId, daemonStem);
  const password = secret?.password ?? newMqttSecret();
  const passwordHash = secret?.passwordHash ?? hashMqttPassword(password);
  const previous = repos.mqttCredentials.activeOf(concentratorId);
  if (previous) {
    repos.mqttCredentials.revoke(previous.id, now);
    repos.journal.audit(actor, 'mqtt-credential-revoked', previous.id, { concentratorId, replacedBy: 'new credential' }, now);
  }
  const id = randomUUID();
  repos.mqttCredentials.insert(id, concentratorId, passwordHash, now);
  repos.journal.audit(actor, 'mqtt-credential-created', id, { concentratorId, replaced: previous?.id ?? null }, now);
  return { id, username: concentratorId, password, replaced: previous?.id ?? null };
}

/** Revokes a credential inside the caller's transaction; NOT_FOUND or CONFLICT (already revoked) otherwise. */
export function revokeMqttCredential(repos: Repositories, id: string, actor: string, now: number): void {
  const row = repos.mqttCredentials.get(id);
  if (!row) throw new AppError('NOT_FOUND', `MQTT credential ${id} does not exist`);
  if (row.revokedAt !== null) throw new AppError('CONFLICT', `MQTT credential ${id} was already revoked`);
  repos.mqttCredentials.revoke(id, now);
  repos.journal.audit(actor, 'mqtt-credential-revoked', id, { concentratorId: row.concentratorId }, now);
}
