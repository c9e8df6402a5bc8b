// Authentication and topic rights of the embedded broker (aedes). Every client is one identity:
//
//   CONNECT ─▶ preConnect: note its will ─▶ authenticate:
//     the daemon's secret                     → the daemon (its own control connection)
//     a client id or user name of the daemon  → refused: reserved (never displaces the daemon)
//     a trusted client certificate (mqtts)    → concentrator CN
//     user name + password                    → concentrator {user name}, checked against its active credential
//     neither                                 → refused, or anonymous under mqtt.auth.allowAnonymous (lab)
//     a will on a topic it may not publish    → refused
//     a client id held by another identity    → refused (aedes would close the holder: [MQTT-3.1.4-2])
//   PUBLISH / SUBSCRIBE ─▶ rights.ts; a refused publish closes the connection (MQTT 3.1.1 has no
//     negative PUBACK, [MQTT-3.3.5-2]); a refused subscription is answered 0x80 in the SUBACK.
//
// Every refusal is counted (feikong_mqtt_refused_total{action,reason}) and logged with client id
// and address, at most once per remote host, action and reason per mqtt.auth.refusalLogIntervalMs.
// A revoked credential's connections are closed: at once when revoked through this daemon, within
// mqtt.auth.revocationCheckMs when revoked elsewhere (the CLI, another daemon).
import { timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Aedes, AuthenticateError, Client } from 'aedes';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { ActiveMqttCredential } from '../db/repo/index.js';
import { CONCENTRATOR_ID, type Topics } from './topics.js';
import { identityKey, mayPublish, maySubscribe, type MqttIdentity } from './rights.js';
import { verifyMqttPassword } from './password-hash.js';
import { RateLimitedLog } from './refusal-log.js';

export interface BrokerGuardOptions {
  topics: Topics;
  /** lab setting: clients without credentials connect with every right */
  allowAnonymous: boolean;
  /** the daemon's client ids are this stem and `{stem}-…`; no one else may use them */
  daemonClientIdStem: string;
  /** the password of the daemon's own connection, made at start and never stored */
  daemonSecret: string;
  revocationCheckMs: number;
  refusalLogIntervalMs: number;
}

export interface CredentialSource {
  activeOf(concentratorId: string): ActiveMqttCredential | undefined;
  revokedSince(at: number): string[];
}

type Action = 'connect' | 'publish' | 'subscribe';
type ConnectRefusal = 'anonymous' | 'bad-credentials' | 'reserved-client-id' | 'client-id-in-use' | 'will-topic' | 'certificate';

/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3). */
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
const RETURN_CODE: Record<ConnectRefusal, number> = {
  anonymous: NOT_AUTHORIZED, 'bad-credentials': BAD_USERNAME_OR_PASSWORD, 'reserved-client-id': IDENTIFIER_REJECTED,
  'client-id-in-use': IDENTIFIER_REJECTED, 'will-topic': NOT_AUTHORIZED, certificate: NOT_AUTHORIZED,
};
/** A revocation is looked for from this long before the last check: clocks of other processes may lag. */
const REVOCATION_MARGIN_MS = 60_000;

export class BrokerGuard {
  private readonly identities = new WeakMap<Client, MqttIdentity>();
  private readonly wills = new WeakMap<Client, string>();
  /** client id → the identity holding it and its connection */
  private readonly owners = new Map<string, { key: string; client: Client }>();
  /** credential id → connections authenticated with it */
  private readonly byCredential = new Map<string, Set<Client>>();
  private readonly refusalLog: RateLimitedLog;
  private readonly daemonSecret: Buffer;
  private timer: NodeJS.Timeout | null = null;
  private lastCheck: number;

  constructor(
    private readonly options: BrokerGuardOptions,
    private readonly credentials: CredentialSource,
    private readonly refused: Counter<'action' | 'reason'>,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.refusalLog = new RateLimitedLog(logger, options.refusalLogIntervalMs, now);
    this.daemonSecret = Buffer.from(options.daemonSecret);
    this.lastCheck = now();
  }

  /** Takes over the broker's connect, subscribe and bookkeeping hooks; publishes are checked by allowPublish(). */
  attach(broker: Aedes): void {
    broker.preConnect = (client, packet, callback) => {
      if (packet.will) this.wills.set(client, packet.will.topic);
      callback(null, true);
    };
    broker.authenticate = (client, username, password, done) => {
      this.authenticate(client, username, password).then((error) => done(error, error === null), (err: Error) => {
        this.logger.error({ err, clientId: client.id }, 'MQTT authentication failed');
        done(Object.assign(new Error('server unavailable'), { returnCode: 3 }) as AuthenticateError, false);
      });
    };
    broker.authorizeSubscribe = (client, subscription, callback) => {
      const identity = this.identities.get(client);
      if (identity && maySubscribe(identity, this.options.topics, subscription.topic)) {
        callback(null, subscription);
        return;
      }
      this.refuse('subscribe', 'topic', client, { topic: subscription.topic });
      callback(null, null);
    };
    broker.on('clientDisconnect', (client) => this.forget(client));
    this.timer = setInterval(() => this.checkRevocations(), this.options.revocationCheckMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Whether a client's publish (or will, client null: checked at its connect) may go on; a refusal is counted and logged. */
  allowPublish(client: Client | null, topic: string): boolean {
    if (!client) return true;
    const identity = this.identities.get(client);
    if (identity && mayPublish(identity, this.options.topics, topic)) return true;
    this.refuse('publish', 'topic', client, { topic });
    return false;
  }

  /** Closes the connections authenticated with this credential (just revoked). */
  revoked(credentialId: string): void {
    const clients = this.byCredential.get(credentialId);
    if (!clients) return;
    for (const client of clients) {
      this.logger.info({ clientId: client.id, address: addressOf(client), credentialId }, 'MQTT credential revoked: connection closed');
      client.close();
    }
    this.byCredential.delete(credentialId);
  }

  private checkRevocations(): void {
    const started = this.now();
    if (this.byCredential.size > 0) {
      try {
        for (const id of this.credentials.revokedSince(this.lastCheck - REVOCATION_MARGIN_MS)) this.revoked(id);
      } catch (err) {
        this.logger.error({ err }, 'MQTT credential revocations not checked');
        return;
      }
    }
    this.lastCheck = started;
  }

  /** null when the client may connect (its identity is then recorded), else the CONNACK error. */
  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | null> {
    const identity = await this.identify(client, username, password);
    if (typeof identity === 'string') return this.refuseConnect(client, identity, username);
    if (client.closed) return Object.assign(new Error('connection closed while authenticating'), { returnCode: NOT_AUTHORIZED }) as AuthenticateError;
    const will = this.wills.get(client);
    if (will !== undefined && !mayPublish(identity, this.options.topics, will)) return this.refuseConnect(client, 'will-topic', username, { topic: will });
    const key = identityKey(identity);
    const owner = this.owners.get(client.id);
    if (owner && owner.key !== key && !owner.client.closed) return this.refuseConnect(client, 'client-id-in-use', username);
    this.identities.set(client, identity);
    this.owners.set(client.id, { key, client });
    if (identity.kind === 'concentrator' && identity.credentialId) {
      let set = this.byCredential.get(identity.credentialId);
      if (!set) this.byCredential.set(identity.credentialId, (set = new Set()));
      set.add(client);
    }
    return null;
  }

  private async identify(client: Client, username: string | undefined, password: Buffer | undefined): Promise<MqttIdentity | ConnectRefusal> {
    if (password && password.length === this.daemonSecret.length && timingSafeEqual(password, this.daemonSecret)) return { kind: 'daemon' };
    if (this.isReserved(client.id) || (username !== undefined && this.isReserved(username))) return 'reserved-client-id';
    const socket = client.conn as Partial<TLSSocket>;
    if (socket.encrypted && typeof socket.getPeerCertificate === 'function') {
      const certificate = socket.getPeerCertificate();
      if (certificate && Object.keys(certificate).length > 0) {
        // A certificate offered must be trusted and name a concentrator; a user name, if any, the same one.
        const cn = certificate.subject?.CN;
        if (!socket.authorized || typeof cn !== 'string' || !CONCENTRATOR_ID.test(cn) || this.isReserved(cn)) return 'certificate';
        if (username !== undefined && username !== '' && username !== cn) return 'certificate';
        return { kind: 'concentrator', concentratorId: cn, credentialId: null };
      }
    }
    if (username === undefined || username === '') {
      return this.options.allowAnonymous && !password ? { kind: 'anonymous' } : 'anonymous';
    }
    const credential = CONCENTRATOR_ID.test(username) ? this.credentials.activeOf(username) : undefined;
    if (!credential || !password || !(await verifyMqttPassword(password, credential.passwordHash))) return 'bad-credentials';
    return { kind: 'concentrator', concentratorId: username, credentialId: credential.id };
  }

  private isReserved(id: string): boolean {
    const stem = this.options.daemonClientIdStem;
    return id === stem || id.startsWith(`${stem}-`);
  }

  private refuseConnect(client: Client, reason: ConnectRefusal, username: string | undefined, extra: Record<string, unknown> = {}): AuthenticateError {
    this.refuse('connect', reason, client, { username: username ?? null, ...extra });
    return Object.assign(new Error(`MQTT connection refused: ${reason}`), { returnCode: RETURN_CODE[reason] }) as AuthenticateError;
  }

  private refuse(action: Action, reason: string, client: Client, fields: Record<string, unknown>): void {
    this.refused.inc({ action, reason });
    const address = addressOf(client);
    const identity = this.identities.get(client);
    // Keyed by the remote host, not the client id or port: a client that changes them is still one source.
    this.refusalLog.warn(`${action}\u0000${reason}\u0000${hostOf(client)}`, {
      action, reason, clientId: client.id, address, identity: identity ? identityKey(identity) : null, ...fields,
    }, `MQTT ${action} refused`);
  }

  private forget(client: Client): void {
    if (this.owners.get(client.id)?.client === client) this.owners.delete(client.id);
    const identity = this.identities.get(client);
    if (identity?.kind === 'concentrator' && identity.credentialId) {
      const set = this.byCredential.get(identity.credentialId);
      set?.delete(client);
      if (set?.size === 0) this.byCredential.delete(identity.credentialId);
    }
  }
}

function hostOf(client: Client): string {
  return (client.conn as { remoteAddress?: string }).remoteAddress ?? 'unknown';
}

function addressOf(client: Client): string {
  const socket = client.conn as { remoteAddress?: string; remotePort?: number };
  return socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort ?? ''}` : 'unknown';
}
