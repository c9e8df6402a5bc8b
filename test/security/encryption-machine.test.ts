// The encryption-machine adapter against a small machine over a real TCP socket: answers,
// refusals, silence (timeout), a dropped connection (pending requests fail, the next request
// reconnects after the backoff on an injected clock), garbage, and the health metrics.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { EncryptionMachineModule, validateMachineOptions } from '../../src/security/encryption-machine.js';
import { registerSecurityModuleMetrics } from '../../src/security/metrics.js';
import { SoftwareSecurityModule } from '../../src/security/software-module.js';
import { startTestMachine, type TestMachine } from './machine-server.js';

const METER = { address: '000000000161', keyVersion: 1 };
const SESSION = { ...METER, random1: Buffer.alloc(8, 0x5a), random2: Buffer.from([1, 2, 3, 4]), esamSerial: Buffer.alloc(8, 7) };

let machine: TestMachine;
let module: EncryptionMachineModule;
let clock = 0;

beforeEach(async () => {
  machine = await startTestMachine();
  clock = 1_000;
  module = new EncryptionMachineModule({ host: '127.0.0.1', port: machine.port, requestTimeoutMs: 5_000, reconnectMinMs: 500, reconnectMaxMs: 2_000, now: () => clock });
});

afterEach(async () => {
  await module.close();
  await machine.close();
});

describe('encryption machine adapter', () => {
  it('gets the same answers the reference module gives, over one connection', async () => {
    const reference = new SoftwareSecurityModule([0, 1], (n) => Buffer.alloc(n, 0x5a));
    expect(await module.identityAuthentication(METER)).toEqual(await reference.identityAuthentication(METER));
    expect(await module.encryptControl(SESSION, Buffer.from('1a00301510221126', 'hex'))).toEqual(await reference.encryptControl(SESSION, Buffer.from('1a00301510221126', 'hex')));
    const purchase = { di: 0x070102ff, amountFen: 10_000, purchaseCount: 4, customer: '000000000161' };
    expect(await module.purchaseMacs(SESSION, purchase)).toEqual(await reference.purchaseMacs(SESSION, purchase));
    expect(await module.parameterMac(SESSION, 0x04001001, Buffer.from('00005000', 'hex'))).toEqual(await reference.parameterMac(SESSION, 0x04001001, Buffer.from('00005000', 'hex')));
    expect(await module.encryptParameter(SESSION, 0x04001001, Buffer.from('00005000', 'hex'))).toEqual(await reference.encryptParameter(SESSION, 0x04001001, Buffer.from('00005000', 'hex')));
    expect(await module.verifyFigureMac(SESSION, 1, 100, Buffer.alloc(4))).toBe(false);
    expect(machine.connections).toBe(1);
    expect(machine.received).toEqual(['identityAuthentication', 'encryptControl', 'purchaseMacs', 'parameterMac', 'encryptParameter', 'verifyFigureMac']);
  });

  it('keeps concurrent requests apart by id', async () => {
    const results = await Promise.all([1, 2, 3, 4].map((k) => module.parameterMac(SESSION, 0x04001000 + k, Buffer.from([k]))));
    expect(new Set(results.map((m) => m.toString('hex'))).size).toBe(4);
  });

  it('maps the machine’s KEY_UNKNOWN to SECURITY_KEY_UNKNOWN, naming the meter', async () => {
    await expect(module.identityAuthentication({ address: '000000000161', keyVersion: 7 })).rejects.toMatchObject({
      code: 'SECURITY_KEY_UNKNOWN',
      context: expect.objectContaining({ op: 'identityAuthentication', address: '000000000161', machineCode: 'KEY_UNKNOWN' }),
    });
  });

  it('times out a request the machine never answers, saying what was awaited', async () => {
    const impatient = new EncryptionMachineModule({ host: '127.0.0.1', port: machine.port, requestTimeoutMs: 400, now: () => clock });
    machine.misbehave('silent');
    const error = await impatient.encryptControl(SESSION, Buffer.alloc(8)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SECURITY_TIMEOUT', context: expect.objectContaining({ op: 'encryptControl', address: '000000000161', timeoutMs: 400 }) });
    expect((error as Error).message).toContain('000000000161');
    machine.misbehave('none');
    await expect(impatient.ping()).resolves.toBeUndefined(); // the connection survives a timeout
    expect(machine.connections).toBe(1);
    await impatient.close();
  });

  it('fails every pending request when the connection drops, then reconnects after the backoff', async () => {
    await module.ping();
    machine.misbehave('drop');
    await expect(module.identityAuthentication(METER)).rejects.toMatchObject({ code: 'SECURITY_UNAVAILABLE', context: expect.objectContaining({ op: 'identityAuthentication' }) });
    expect(module.health.connected).toBe(false);
    expect(module.health.drops).toBe(1);
    // within the backoff: fail fast, no connection attempt
    clock += 499;
    await expect(module.ping()).rejects.toMatchObject({ code: 'SECURITY_UNAVAILABLE', context: expect.objectContaining({ retryInMs: 1 }) });
    expect(machine.connections).toBe(1);
    clock += 1;
    await expect(module.identityAuthentication(METER)).resolves.toMatchObject({ random1: Buffer.alloc(8, 0x5a) });
    expect(machine.connections).toBe(2);
    expect(module.health.connected).toBe(true);
  });

  it('doubles the backoff while the machine stays unreachable', async () => {
    const port = machine.port;
    await machine.close();
    const lonely = new EncryptionMachineModule({ host: '127.0.0.1', port, reconnectMinMs: 100, reconnectMaxMs: 300, now: () => clock });
    await expect(lonely.ping()).rejects.toMatchObject({ code: 'SECURITY_UNAVAILABLE' });
    await expect(lonely.ping()).rejects.toMatchObject({ context: expect.objectContaining({ retryInMs: 100 }) });
    clock += 100;
    await expect(lonely.ping()).rejects.toMatchObject({ code: 'SECURITY_UNAVAILABLE' });
    await expect(lonely.ping()).rejects.toMatchObject({ context: expect.objectContaining({ retryInMs: 200 }) });
    clock += 200;
    await expect(lonely.ping()).rejects.toMatchObject({ code: 'SECURITY_UNAVAILABLE' });
    await expect(lonely.ping()).rejects.toMatchObject({ context: expect.objectContaining({ retryInMs: 300 }) }); // capped
    await lonely.close();
    machine = await startTestMachine();
  });

  it('drops a connection that speaks garbage, as a protocol error', async () => {
    machine.misbehave('garbage');
    await expect(module.ping()).rejects.toMatchObject({ code: 'SECURITY_PROTOCOL' });
    expect(module.health.connected).toBe(false);
  });

  it('answers a refused connection with SECURITY_UNAVAILABLE and keeps the reason for health', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    server.close();
    await once(server, 'close');
    const refused = new EncryptionMachineModule({ host: '127.0.0.1', port, connectTimeoutMs: 100, now: () => clock });
    await expect(refused.ping()).rejects.toMatchObject({ code: 'SECURITY_UNAVAILABLE' });
    expect(refused.health.lastError).toContain('SECURITY_UNAVAILABLE');
    await refused.close();
  });

  it('reports health on /metrics', async () => {
    await module.close();
    module = new EncryptionMachineModule({ host: '127.0.0.1', port: machine.port, requestTimeoutMs: 400, now: () => clock });
    const registry = new Registry();
    registerSecurityModuleMetrics(registry, () => ({ kind: module.kind, health: module.health }));
    await module.ping();
    machine.misbehave('silent');
    await module.ping().catch(() => undefined);
    const text = await registry.metrics();
    expect(text).toContain('feikong_security_module_up{kind="encryption-machine"} 1');
    expect(text).toContain('feikong_security_module_requests_total{op="ping",result="ok"} 1');
    expect(text).toContain('feikong_security_module_requests_total{op="ping",result="SECURITY_TIMEOUT"} 1');
    await module.close();
    expect(await registry.metrics()).toContain('feikong_security_module_up{kind="encryption-machine"} 0');
  });

  it('validates its options, naming the key', () => {
    expect(() => validateMachineOptions({ host: '127.0.0.1', port: 1, requestTimeoutMs: 10 })).toThrow(expect.objectContaining({ context: expect.objectContaining({ key: 'requestTimeoutMs' }) }));
    expect(() => validateMachineOptions({ host: '', port: 1 })).toThrow(expect.objectContaining({ context: expect.objectContaining({ key: 'host' }) }));
    expect(() => validateMachineOptions({ host: 'h', port: 70_000 })).toThrow(expect.objectContaining({ context: expect.objectContaining({ key: 'port' }) }));
    expect(() => validateMachineOptions({ host: 'h', port: 1, reconnectMinMs: 500, reconnectMaxMs: 100 })).toThrow(expect.objectContaining({ context: expect.objectContaining({ key: 'reconnectMaxMs' }) }));
    expect(validateMachineOptions({ host: 'h', port: 1 })).toMatchObject({ requestTimeoutMs: 2_000, connectTimeoutMs: 3_000, reconnectMinMs: 200, reconnectMaxMs: 10_000 });
  });
});
