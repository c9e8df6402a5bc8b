// Repository functions for meters' security mode and key version (the `meter_security` table):
// one row per meter that differs from its bus's default; none means the bus's.
import type { Database } from '../database.js';

export interface MeterSecurityRow {
  mode: 'plaintext' | 'esam';
  keyVersion: number;
}

export function meterSecurityRepository(db: Database) {
  const get = db.prepare(`SELECT mode, key_version AS "keyVersion" FROM meter_security WHERE meter_id = ?`);
  const upsert = db.prepare(`INSERT INTO meter_security (meter_id, mode, key_version, updated_at) VALUES (@meterId, @mode, @keyVersion, @at)
    ON CONFLICT (meter_id) DO UPDATE SET mode = excluded.mode, key_version = excluded.key_version, updated_at = excluded.updated_at`);
  const remove = db.prepare(`DELETE FROM meter_security WHERE meter_id = ?`);

  return {
    /** The meter's own security mode and key version, or undefined (its bus's apply). */
    get(meterId: string): MeterSecurityRow | undefined {
      return get.get(meterId) as MeterSecurityRow | undefined;
    },
    /** Sets the meter's own mode and key version (e.g. after a key update, 密钥更新). */
    set(meterId: string, security: MeterSecurityRow, at: number): void {
      upsert.run({ meterId, mode: security.mode, keyVersion: security.keyVersion, at });
    },
    /** Back to the bus's default; true when the meter had its own. */
    clear(meterId: string): boolean {
      return remove.run(meterId).changes === 1;
    },
  };
}
