// Repository functions for concentrators' MQTT credentials (the `mqtt_credentials` table): one
// active credential per concentrator, hashes only, revocations kept with their time.
import type { Database } from '../database.js';

export interface MqttCredentialRow {
  id: string;
  concentratorId: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface ActiveMqttCredential {
  id: string;
  concentratorId: string;
  passwordHash: string;
}

const COLUMNS = `id, concentrator_id AS "concentratorId", created_at AS "createdAt", revoked_at AS "revokedAt"`;

export function mqttCredentialsRepository(db: Database) {
  const insert = db.prepare(`INSERT INTO mqtt_credentials (id, concentrator_id, password_hash, created_at) VALUES (?, ?, ?, ?)`);
  const ensureConcentrator = db.prepare(`INSERT INTO concentrators (id, status, created_at) VALUES (?, 'unknown', ?) ON CONFLICT (id) DO NOTHING`);
  const byId = db.prepare(`SELECT ${COLUMNS} FROM mqtt_credentials WHERE id = ?`);
  const activeOf = db.prepare(`SELECT id, concentrator_id AS "concentratorId", password_hash AS "passwordHash"
    FROM mqtt_credentials WHERE concentrator_id = ? AND revoked_at IS NULL`);
  const allActive = db.prepare(`SELECT id, concentrator_id AS "concentratorId", password_hash AS "passwordHash"
    FROM mqtt_credentials WHERE revoked_at IS NULL ORDER BY concentrator_id`);
  const page = db.prepare(`SELECT ${COLUMNS} FROM mqtt_credentials
    WHERE (created_at, id) > (@afterAt, @afterId) AND (@active = 0 OR revoked_at IS NULL)
    AND (CAST(@concentratorId AS text) IS NULL OR concentrator_id = @concentratorId)
    ORDER BY created_at, id LIMIT @limit`);
  const revoke = db.prepare(`UPDATE mqtt_credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`);
  const revokedSince = db.prepare(`SELECT id FROM mqtt_credentials WHERE revoked_at >= ?`).pluck();

  return {
    /** Stores a credential (the concentrator's row is created when new); the caller revoked any active one first. */
    insert(id: string, concentratorId: string, passwordHash: string, at: number): void {
      ensureConcentrator.run(concentratorId, at);
      insert.run(id, concentratorId, passwordHash, at);
    },
    get(id: string): MqttCredentialRow | undefined {
      return byId.get(id) as MqttCredentialRow | undefined;
    },
    /** The concentrator's active credential with its hash, or undefined. */
    activeOf(concentratorId: string): ActiveMqttCredential | undefined {
      return activeOf.get(concentratorId) as ActiveMqttCredential | undefined;
    },
    /** Every active credential with its hash, by concentrator id (for a broker's password file). */
    allActive(): ActiveMqttCredential[] {
      return allActive.all() as ActiveMqttCredential[];
    },
    /** Credentials in creation order after the cursor (createdAt, id); never their hashes. */
    list(after: { createdAt: number; id: string } | null, activeOnly: boolean, concentratorId: string | null, limit: number): MqttCredentialRow[] {
      return page.all({ afterAt: after?.createdAt ?? -1, afterId: after?.id ?? '', active: activeOnly ? 1 : 0, concentratorId, limit }) as MqttCredentialRow[];
    },
    /** True when it was active and is now revoked. */
    revoke(id: string, at: number): boolean {
      return revoke.run(at, id).changes === 1;
    },
    /** Ids of the credentials revoked at or after `at` (epoch ms). */
    revokedSince(at: number): string[] {
      return revokedSince.all(at) as string[];
    },
  };
}

export type MqttCredentialsRepository = ReturnType<typeof mqttCredentialsRepository>;
