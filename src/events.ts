// The in-process typed event bus. Durable events go to the outbox table in the same
// transaction as their cause; this bus only wakes components up. A throwing listener is logged.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

export interface DomainEvents {
  /** an account's balance changed (payment, reversal, consumption) */
  'balance-changed': [accountId: string];
  /** a meter's relay state became known or changed */
  'relay-state': [meterId: string, state: 'open' | 'closed'];
  /** a command reached a final state */
  'command-finished': [commandId: string, meterId: string];
  /** a concentrator's MQTT credential was revoked: its connections are closed */
  'mqtt-credential-revoked': [credentialId: string];
  /** an outbox event was written */
  'event-recorded': [id: number, type: string];
}

export class EventBus {
  private readonly emitter = new EventEmitter();
  constructor(private readonly logger: Logger) {
    this.emitter.setMaxListeners(100);
  }

  on<K extends keyof DomainEvents>(name: K, listener: (...args: DomainEvents[K]) => void): () => void {
    const safe = (...args: unknown[]) => {
      try {
        listener(...(args as DomainEvents[K]));
      } catch (err) {
        this.logger.error({ err, event: name }, 'event listener failed');
      }
    };
    this.emitter.on(name, safe);
    return () => this.emitter.off(name, safe);
  }

  emit<K extends keyof DomainEvents>(name: K, ...args: DomainEvents[K]): void {
    this.emitter.emit(name, ...args);
  }

  removeAll(): void {
    this.emitter.removeAllListeners();
  }
}
