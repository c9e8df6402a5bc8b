// Public test master keys for the software reference module and the simulator's ESAM.
//
// Anyone can compute them from this file: they protect nothing and exist so that simulators,
// labs and tests agree. Key version 0 stands for the factory's public keys (公钥状态) and
// versions 1..9 for "private" test keys; a meter in the field holds keys only its utility's
// encryption machine knows.

import { createHash } from 'node:crypto';
import { KEY_PURPOSES, type KeyPurpose } from './reference-scheme.js';

export const TEST_KEY_VERSIONS: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

export function testMasterKey(purpose: KeyPurpose, keyVersion: number): Buffer {
  return createHash('sha256').update(`feikong public test key/${purpose}/v${keyVersion}`).digest().subarray(0, 16);
}

export function testMasterKeys(keyVersion: number): Record<KeyPurpose, Buffer> {
  const out = {} as Record<KeyPurpose, Buffer>;
  for (const p of KEY_PURPOSES) out[p] = testMasterKey(p, keyVersion);
  return out;
}
