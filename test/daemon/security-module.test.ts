// The security module as the daemon starts it: the software module refuses NODE_ENV=production
// (before the database opens) unless allowed; the encryption-machine adapter, pointed at a small
// machine over TCP, gets an ESAM meter on a pseudo-terminal switched and confirmed, with its
// health on /metrics.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPtyPair } from '../../simulators/pty.js';
import { startDlt645Bus } from '../../simulators/dlt645/index.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { eventually } from '../helpers/eventually.js';
import { Cleanup, address } from '../polling/helpers.js';
import { TEST_POLLING } from '../polling/daemon-helpers.js';
import { startTestMachine } from '../security/machine-server.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('security module at daemon start', () => {
  it('refuses the software module with NODE_ENV=production, before the database opens', async () => {
    const before = process.env.NODE_ENV;
    const dir = mkdtempSync(join(tmpdir(), 'feikong-test-'));
    cleanup.add(dir, (d) => rmSync(d, { recursive: true, force: true }));
    process.env.NODE_ENV = 'production';
    try {
      await expect(startTestDaemon({ security: { module: 'software' } }, dir)).rejects.toMatchObject({ code: 'SECURITY_NOT_ALLOWED' });
    } finally {
      process.env.NODE_ENV = before;
    }
    expect(readdirSync(dir)).toEqual([]); // no database file was created
  });

  it('starts the software module in production when explicitly allowed', async () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const fk = cleanup.add(await startTestDaemon({ security: { module: 'software', software: { allowInProduction: true } } }), (d) => d.stop());
      expect((await fk.api('GET', '/metrics')).body).toContain('feikong_security_module_up{kind="software-reference"} 1');
    } finally {
      process.env.NODE_ENV = before;
    }
  });

  it('commands an ESAM meter through the encryption machine, and shows the machine’s health', async () => {
    const METER = address(41);
    const machine = cleanup.add(await startTestMachine({ keyVersions: [1] }), (m) => m.close());
    const pty = cleanup.add(await createPtyPair(), (p) => p.close());
    const sim = cleanup.add(await startDlt645Bus({ transport: { kind: 'serial', path: pty.a }, baudRate: 38_400, responseDelayMs: 20, meters: [{ address: METER, esam: { keyVersion: 1 } }] }), (s) => s.close());
    const fk = cleanup.add(await startTestDaemon({
      buses: [{ id: 'line-1', kind: 'serial', path: pty.b, baudRate: 38_400, dlt645: { security: { mode: 'esam', keyVersion: 1 } } }],
      polling: TEST_POLLING, engine: { sweepIntervalMs: 3_600_000, confirmIntervalMs: 100, refusalBackoffMs: 50 },
      security: { module: 'encryption-machine', encryptionMachine: { host: '127.0.0.1', port: machine.port } },
    }), (d) => d.stop());
    await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Wu Fang' } });
    await fk.api('POST', '/v1/meters', { body: { id: 'm-1', accountId: 'acc-1', protocol: 'dlt645', busId: 'line-1', address: METER } });
    await eventually(async () => expect((await fk.api('GET', '/v1/meters/m-1')).body.relayState).toBe('closed'), 20_000);
    const cmd = await fk.api('POST', '/v1/meters/m-1/commands', { role: 'operator', body: { action: 'disconnect', reason: 'machine check' } });
    await eventually(async () => expect((await fk.api('GET', `/v1/commands/${cmd.body.id}`, { role: 'operator' })).body.state).toBe('confirmed'), 20_000);
    expect(machine.received).toEqual(['identityAuthentication', 'encryptControl']);
    expect(sim.meter(METER).controls).toMatchObject([{ action: 'trip', pa: 0x98, outcome: 'ok' }]);
    const metrics = (await fk.api('GET', '/metrics')).body as string;
    expect(metrics).toContain('feikong_security_module_up{kind="encryption-machine"} 1');
    expect(metrics).toContain('feikong_security_module_requests_total{op="encryptControl",result="ok"} 1');
  }, 60_000);

  it('sends nothing to the meter while the encryption machine is down, and confirms once it is back', async () => {
    const METER = address(42);
    let machine = await startTestMachine({ keyVersions: [1] });
    const port = machine.port;
    cleanup.add(null, () => machine.close());
    await machine.close();
    const pty = cleanup.add(await createPtyPair(), (p) => p.close());
    const sim = cleanup.add(await startDlt645Bus({ transport: { kind: 'serial', path: pty.a }, baudRate: 38_400, responseDelayMs: 20, meters: [{ address: METER, esam: { keyVersion: 1 } }] }), (s) => s.close());
    const fk = cleanup.add(await startTestDaemon({
      buses: [{ id: 'line-1', kind: 'serial', path: pty.b, baudRate: 38_400, dlt645: { security: { mode: 'esam', keyVersion: 1 } } }],
      polling: TEST_POLLING, engine: { sweepIntervalMs: 3_600_000, confirmIntervalMs: 100, refusalBackoffMs: 50, maxAttempts: 20 },
      security: { module: 'encryption-machine', encryptionMachine: { host: '127.0.0.1', port, reconnectMinMs: 50, reconnectMaxMs: 200 } },
    }), (d) => d.stop());
    await fk.api('POST', '/v1/accounts', { body: { id: 'acc-1', name: 'Wu Fang' } });
    await fk.api('POST', '/v1/meters', { body: { id: 'm-1', accountId: 'acc-1', protocol: 'dlt645', busId: 'line-1', address: METER } });
    await eventually(async () => expect((await fk.api('GET', '/v1/meters/m-1')).body.relayState).toBe('closed'), 20_000);
    const cmd = await fk.api('POST', '/v1/meters/m-1/commands', { role: 'operator', body: { action: 'disconnect', reason: 'machine down' } });
    const command = async () => (await fk.api('GET', `/v1/commands/${cmd.body.id}`, { role: 'operator' })).body;
    await eventually(async () => expect((await command()).lastError).toContain('encryption machine'), 20_000);
    expect((await command()).state).toBe('sent');
    expect(sim.meter(METER).controls).toEqual([]); // no authentication, no 0x1C: nothing to send without the machine
    expect((await fk.api('GET', '/metrics')).body).toContain('feikong_security_module_up{kind="encryption-machine"} 0');
    machine = await startTestMachine({ keyVersions: [1], port });
    await eventually(async () => expect((await command()).state).toBe('confirmed'), 30_000);
    expect(sim.meter(METER).controls).toMatchObject([{ action: 'trip', pa: 0x98, outcome: 'ok' }]);
  }, 90_000);
});
