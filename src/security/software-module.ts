// The software reference security module: the reference scheme (reference-scheme.ts) with the
// public test keys (test-keys.ts), in process. For simulators, labs and tests — never for
// meters in the field, whose keys live in the utility's encryption machine.
//
// It refuses to start when NODE_ENV is 'production' unless explicitly allowed, and says what it
// is at every start: a warning normally, an error-level line when allowed in production.

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  dispersionFactorOf,
  figureMac,
  identityCiphertext,
  meterKeys,
  parameterMac,
  protectControl,
  protectParameter,
  purchaseMacs,
  sessionKey,
  type KeyPurpose,
  type MeterKeys,
} from './reference-scheme.js';
import { sm4Available } from './sm4.js';
import { TEST_KEY_VERSIONS, testMasterKeys } from './test-keys.js';
import {
  SecurityModuleError,
  type IdentityChallenge,
  type MeterKeyRef,
  type ProtectedBytes,
  type PurchaseInput,
  type SecurityModule,
  type SecuritySession,
} from './types.js';

export interface SoftwareModuleOptions {
  /** process.env.NODE_ENV, passed in. */
  nodeEnv: string | undefined;
  /** Consent to run with public test keys although NODE_ENV is 'production'. Default false. */
  allowInProduction?: boolean;
  log: Pick<Logger, 'warn' | 'error'>;
  /** Key versions it holds keys for; default 0..9. */
  keyVersions?: readonly number[];
  /** Source of random number 1; default crypto.randomBytes. */
  random?: (n: number) => Buffer;
}

export const SOFTWARE_MODULE_WARNING =
  'software security module with PUBLIC TEST KEYS: for simulators and labs only, meters in the field need the encryption machine';

export function createSoftwareSecurityModule(options: SoftwareModuleOptions): SoftwareSecurityModule {
  const production = options.nodeEnv === 'production';
  if (production && options.allowInProduction !== true) {
    throw new SecurityModuleError(
      'SECURITY_NOT_ALLOWED',
      'the software security module holds public test keys and does not start with NODE_ENV=production unless explicitly allowed (security.software.allowInProduction)',
      { nodeEnv: options.nodeEnv },
    );
  }
  if (!sm4Available()) throw new SecurityModuleError('SECURITY_NOT_ALLOWED', "this Node's OpenSSL has no SM4 (sm4-ecb, sm4-cbc)", {});
  if (production) options.log.error({ securityModule: 'software-reference', nodeEnv: options.nodeEnv }, `${SOFTWARE_MODULE_WARNING} — running in production by explicit consent`);
  else options.log.warn({ securityModule: 'software-reference' }, SOFTWARE_MODULE_WARNING);
  return new SoftwareSecurityModule(options.keyVersions ?? TEST_KEY_VERSIONS, options.random ?? randomBytes);
}

export class SoftwareSecurityModule implements SecurityModule {
  readonly kind = 'software-reference';
  private readonly versions: Set<number>;

  constructor(
    keyVersions: readonly number[],
    private readonly random: (n: number) => Buffer,
  ) {
    this.versions = new Set(keyVersions);
  }

  private keys(meter: MeterKeyRef): MeterKeys {
    if (!this.versions.has(meter.keyVersion)) {
      throw new SecurityModuleError('SECURITY_KEY_UNKNOWN', `no keys of version ${meter.keyVersion}`, { address: meter.address, keyVersion: meter.keyVersion });
    }
    try {
      return meterKeys(testMasterKeys(meter.keyVersion), dispersionFactorOf(meter.address));
    } catch (e) {
      throw new SecurityModuleError('SECURITY_INVALID_INPUT', (e as Error).message, { address: meter.address });
    }
  }

  private session(s: SecuritySession, purpose: KeyPurpose): Buffer {
    try {
      return sessionKey(this.keys(s)[purpose], s);
    } catch (e) {
      if (e instanceof SecurityModuleError) throw e;
      throw new SecurityModuleError('SECURITY_INVALID_INPUT', (e as Error).message, { address: s.address });
    }
  }

  private guard<T>(address: string, run: () => T): Promise<T> {
    try {
      return Promise.resolve(run());
    } catch (e) {
      if (e instanceof SecurityModuleError) return Promise.reject(e);
      return Promise.reject(new SecurityModuleError('SECURITY_INVALID_INPUT', (e as Error).message, { address }));
    }
  }

  identityAuthentication(meter: MeterKeyRef): Promise<IdentityChallenge> {
    return this.guard(meter.address, () => {
      const keys = this.keys(meter);
      const random1 = this.random(8);
      return { random1, ciphertext: identityCiphertext(keys.identity, random1), dispersionFactor: dispersionFactorOf(meter.address) };
    });
  }

  encryptControl(session: SecuritySession, plaintext: Uint8Array): Promise<ProtectedBytes> {
    return this.guard(session.address, () => protectControl(this.session(session, 'control'), session.address, plaintext));
  }

  purchaseMacs(session: SecuritySession, purchase: PurchaseInput): Promise<{ mac1: Buffer; mac2: Buffer }> {
    return this.guard(session.address, () => purchaseMacs(this.session(session, 'purchase'), purchase));
  }

  parameterMac(session: SecuritySession, di: number, value: Uint8Array): Promise<Buffer> {
    return this.guard(session.address, () => parameterMac(this.session(session, 'parameter'), di, value));
  }

  encryptParameter(session: SecuritySession, di: number, value: Uint8Array): Promise<ProtectedBytes> {
    return this.guard(session.address, () => protectParameter(this.session(session, 'parameter'), di, value));
  }

  verifyFigureMac(session: SecuritySession, tag: number, value: number, mac: Uint8Array): Promise<boolean> {
    return this.guard(session.address, () => figureMac(this.session(session, 'purchase'), tag, value).equals(Buffer.from(mac)));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
