// Starts a real daemon for a test: fresh data directory, free loopback ports, silent logs, and
// configuration overrides; `stop()` tears everything down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, deepMerge } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { createApiKey, type Role } from '../../src/http/auth.js';
import { createMqttCredential } from '../../src/mqtt/credentials.js';
import { dropTestDatabase, testDatabaseConfig } from './database.js';

export interface TestDaemon {
  daemon: Daemon;
  dataDir: string;
  keys: Record<Role, string>;
  /** fetch against the daemon's HTTP API with a role's key */
  api(method: string, path: string, options?: { role?: Role | null; body?: unknown }): Promise<{ status: number; body: any }>;
  /** MQTT credentials for a concentrator (a new one each call, replacing the one before): spread into SimConcentrator's options */
  credentials(concentratorId: string): { username: string; password: string };
  stop(): Promise<void>;
}

export async function startTestDaemon(overrides: Record<string, unknown> = {}, dataDir?: string, clock: () => number = Date.now): Promise<TestDaemon> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'feikong-test-'));
  const config = validateConfig(deepMerge({
    dataDir: dir,
    database: testDatabaseConfig(dir),
    log: { level: process.env.FK_TEST_LOG ?? 'silent' },
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { embeddedHost: '127.0.0.1', embeddedPort: 0 },
  }, overrides));
  const daemon = await startDaemon(config, createLogger(config.log.level, process.stderr), clock);
  const now = Date.now();
  const keys = {} as Record<Role, string>;
  for (const role of ['admin', 'operator', 'billing', 'read-only'] as const) {
    keys[role] = createApiKey(daemon.repos, `test-${role}`, role, now).secret;
  }
  return {
    daemon,
    dataDir: dir,
    keys,
    async api(method, path, options = {}) {
      const role = options.role === undefined ? 'admin' : options.role;
      const headers: Record<string, string> = {};
      if (role) headers.authorization = `Bearer ${keys[role]}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${daemon.httpUrl}${path}`, {
        method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON (metrics) */
      }
      return { status: res.status, body };
    },
    credentials(concentratorId) {
      const created = daemon.repos.transaction(() => createMqttCredential(daemon.repos, concentratorId, 'test', Date.now()));
      return { username: created.username, password: created.password };
    },
    async stop() {
      await daemon.stop();
      if (!dataDir) {
        dropTestDatabase(dir);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
