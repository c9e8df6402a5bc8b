// The security module the configuration asks for (security.module): none, the software
// reference module (public test keys; refuses NODE_ENV=production unless allowed), or the
// encryption-machine adapter. Built once in the composition root, closed at stop.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { EncryptionMachineModule } from './encryption-machine.js';
import type { SecurityModuleSource } from './metrics.js';
import { createSoftwareSecurityModule } from './software-module.js';
import type { SecurityModule } from './types.js';

export function createConfiguredSecurityModule(config: Config['security'], nodeEnv: string | undefined, log: Logger): SecurityModule | null {
  switch (config.module) {
    case 'none':
      return null;
    case 'software':
      return createSoftwareSecurityModule({ nodeEnv, allowInProduction: config.software.allowInProduction, log });
    case 'encryption-machine': {
      const machine = config.encryptionMachine!; // required by validateConfig
      log.info({ securityModule: 'encryption-machine', host: machine.host, port: machine.port }, 'security module: encryption machine');
      return new EncryptionMachineModule(machine);
    }
  }
}

/** What the security-module metrics read. */
export function securityModuleSource(module: SecurityModule | null): () => SecurityModuleSource | null {
  return () => (module === null ? null : { kind: module.kind, ...(module instanceof EncryptionMachineModule ? { health: module.health } : {}) });
}
