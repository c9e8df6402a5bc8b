// A port the daemon cannot have stops start-up with one line naming the setting to change (the
// configuration key and its environment variable), no stack trace, and a non-zero exit status.
// The daemon runs as its own process, as `npm start` runs it, against ports a test holds.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDaemonUntilExit } from '../helpers/daemon-process.js';
import { freePort } from '../helpers/net.js';
import { dropTestDatabase, testDialect } from '../helpers/database.js';
import { checkListenable, httpListener, isStartupError, mqttListener } from '../../src/listen-errors.js';

let holder: Server;
let taken: number;
const dirs: string[] = [];

beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  taken = (holder.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => holder.close(() => resolve()));
  for (const d of dirs) {
    dropTestDatabase(d);
    rmSync(d, { recursive: true, force: true });
  }
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'feikong-port-'));
  dirs.push(d);
  return d;
}

const STACK_LINE = /^\s+at /m;

describe('a port already in use', () => {
  it('HTTP: names http.port and FEIKONG_HTTP__PORT, exits 1 before opening the database', async () => {
    const dir = dataDir();
    const res = await runDaemonUntilExit({
      FEIKONG_DATA_DIR: dir, FEIKONG_HTTP__HOST: '127.0.0.1', FEIKONG_HTTP__PORT: String(taken), FEIKONG_MQTT__EMBEDDED_PORT: '0',
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`HTTP API: port ${taken} on 127.0.0.1 is already in use`);
    expect(res.stderr).toContain('http.port');
    expect(res.stderr).toContain(`FEIKONG_HTTP__PORT=${taken + 1}`);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr + res.stdout).not.toMatch(STACK_LINE);
    if (testDialect === 'sqlite') expect(existsSync(join(dir, 'feikong.db'))).toBe(false);
  }, 120_000);

  it('embedded MQTT broker: names mqtt.embeddedPort and FEIKONG_MQTT__EMBEDDED_PORT, and mqtt.url', async () => {
    const res = await runDaemonUntilExit({
      FEIKONG_DATA_DIR: dataDir(), FEIKONG_HTTP__PORT: String(await freePort()),
      FEIKONG_MQTT__EMBEDDED_HOST: '127.0.0.1', FEIKONG_MQTT__EMBEDDED_PORT: String(taken),
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`embedded MQTT broker: port ${taken} on 127.0.0.1 is already in use`);
    expect(res.stderr).toContain('mqtt.embeddedPort');
    expect(res.stderr).toContain('FEIKONG_MQTT__EMBEDDED_PORT=');
    expect(res.stderr).toContain('mqtt.url');
    expect(res.stderr + res.stdout).not.toMatch(STACK_LINE);
  }, 120_000);
});

describe('checkListenable', () => {
  it('passes a free port and port 0, and lets the port go again', async () => {
    const port = await freePort();
    await checkListenable(httpListener({ host: '127.0.0.1', port }));
    await checkListenable(httpListener({ host: '127.0.0.1', port: 0 }));
    await checkListenable(httpListener({ host: '127.0.0.1', port }));
  });

  it('an address that is not this machine\'s names the host setting', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    const err = await checkListenable(mqttListener({ embeddedHost: '192.0.2.1', embeddedPort: await freePort() })).catch((e: unknown) => e);
    expect(isStartupError(err)).toBe(true);
    expect((err as Error).message).toContain('mqtt.embeddedHost');
    expect((err as Error).message).toContain('FEIKONG_MQTT__EMBEDDED_HOST');
  });
});
