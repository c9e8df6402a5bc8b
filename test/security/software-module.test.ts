// The software reference module: refuses production unless allowed, says what it is at every
// start, and produces what the meter's ESAM (the reference scheme with diversified keys) accepts.
import { describe, expect, it } from 'vitest';
import { createSoftwareSecurityModule, SOFTWARE_MODULE_WARNING } from '../../src/security/software-module.js';
import { dispersionFactorOf, identityCiphertext, meterKeys, openControl, sessionKey } from '../../src/security/reference-scheme.js';
import { testMasterKeys } from '../../src/security/test-keys.js';

function capture() {
  const lines: { level: string; msg: string }[] = [];
  return {
    lines,
    log: {
      warn: (_o: object, msg: string) => lines.push({ level: 'warn', msg }),
      error: (_o: object, msg: string) => lines.push({ level: 'error', msg }),
    } as never,
  };
}

describe('software security module', () => {
  it('refuses to start with NODE_ENV=production', () => {
    const { log, lines } = capture();
    expect(() => createSoftwareSecurityModule({ nodeEnv: 'production', log })).toThrow(expect.objectContaining({ code: 'SECURITY_NOT_ALLOWED' }));
    expect(lines).toEqual([]);
  });

  it('starts in production when allowed, and says so at error level', () => {
    const { log, lines } = capture();
    createSoftwareSecurityModule({ nodeEnv: 'production', allowInProduction: true, log });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('error');
    expect(lines[0]?.msg).toContain('PUBLIC TEST KEYS');
  });

  it('warns at every other start', () => {
    const { log, lines } = capture();
    createSoftwareSecurityModule({ nodeEnv: 'test', log });
    expect(lines).toEqual([{ level: 'warn', msg: SOFTWARE_MODULE_WARNING }]);
  });

  it('authenticates and encrypts so that the meter’s ESAM accepts, and names an unknown key version', async () => {
    const { log } = capture();
    const module = createSoftwareSecurityModule({ nodeEnv: 'test', log, keyVersions: [1], random: (n) => Buffer.alloc(n, 0x42) });
    const challenge = await module.identityAuthentication({ address: '000000000161', keyVersion: 1 });
    const esam = meterKeys(testMasterKeys(1), dispersionFactorOf('000000000161'));
    expect(challenge.ciphertext.equals(identityCiphertext(esam.identity, challenge.random1))).toBe(true);
    const session = { address: '000000000161', keyVersion: 1, random1: challenge.random1, random2: Buffer.from([9, 8, 7, 6]), esamSerial: Buffer.alloc(8, 3) };
    const block = await module.encryptControl(session, Buffer.from('1a00301510221126', 'hex'));
    expect(openControl(sessionKey(esam.control, session), '000000000161', block)?.toString('hex')).toBe('1a00301510221126');
    await expect(module.identityAuthentication({ address: '000000000161', keyVersion: 2 })).rejects.toMatchObject({ code: 'SECURITY_KEY_UNKNOWN' });
    await expect(module.encryptControl(session, Buffer.alloc(7))).rejects.toMatchObject({ code: 'SECURITY_INVALID_INPUT' });
  });
});
