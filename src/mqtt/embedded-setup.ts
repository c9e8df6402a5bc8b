// Starts the embedded broker as the daemon runs it: the guard (authentication, topic rights), the
// mqtts listener when configured, revocations through this daemon closing connections at once,
// and a warning when the lab setting lets anonymous clients in. Returns the password of the
// daemon's own connection (made now, never stored). readMqttFiles() reads the certificate files
// the configuration names, before anything opens, so a bad path stops start-up naming its key.
import { readFileSync } from 'node:fs';
import type { TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import type { Repositories } from '../db/repo/index.js';
import type { EventBus } from '../events.js';
import type { Metrics } from '../metrics.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.js';
import { BrokerGuard } from './broker-guard.js';
import { newMqttSecret } from './password-hash.js';
import { clientIdStem } from './service.js';
import { Topics } from './topics.js';

export interface MqttFiles {
  /** the embedded broker's mqtts listener, when configured */
  tls: TlsListener | null;
  /** mqtt.caFile: the CA of an external mqtts broker */
  ca: Buffer | undefined;
}

type TlsListener = { host: string; port: number; options: TlsOptions };

export function readMqttFiles(config: Config): MqttFiles {
  const caFile = config.mqtt.caFile;
  return { tls: config.mqtt.url ? null : tlsListener(config), ca: caFile ? readKey('mqtt.caFile', caFile) : undefined };
}

export async function startGuardedBroker(config: Config, tls: TlsListener | null, repos: Repositories, events: EventBus, metrics: Metrics, logger: Logger): Promise<{ broker: EmbeddedBroker; daemonSecret: string }> {
  const m = config.mqtt;
  const daemonSecret = newMqttSecret();
  // On the wall clock, not the daemon's: revocations are stamped by other processes (the CLI) with theirs.
  const guard = new BrokerGuard({
    topics: new Topics(m.topicPrefix), allowAnonymous: m.auth.allowAnonymous, daemonClientIdStem: clientIdStem(m.clientId), daemonSecret,
    revocationCheckMs: m.auth.revocationCheckMs, refusalLogIntervalMs: m.auth.refusalLogIntervalMs,
  }, repos.mqttCredentials, metrics.mqttRefusedTotal, logger.child({ component: 'mqtt-auth' }), Date.now);
  const broker = await startEmbeddedBroker({ host: m.embeddedHost, port: m.embeddedPort, guard, tls });
  events.on('mqtt-credential-revoked', (id) => guard.revoked(id));
  if (m.auth.allowAnonymous) {
    logger.warn({ key: 'mqtt.auth.allowAnonymous' }, 'LAB SETTING: the embedded MQTT broker accepts clients without credentials, with every right (forged readings, relay commands); never use it in production');
  }
  return { broker, daemonSecret };
}

function readKey(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`configuration key "${key}": cannot read ${path}: ${(err as Error).message}`, key);
  }
}

function tlsListener(config: Config): TlsListener | null {
  const t = config.mqtt.tls;
  if (!t) return null;
  const read = (key: string, path: string) => readKey(`mqtt.tls.${key}`, path);
  if (t.clientCertificates !== 'off' && !t.caFile) {
    throw new ConfigError(`configuration key "mqtt.tls.caFile": client certificates "${t.clientCertificates}" need the CA they must chain to`, 'mqtt.tls.caFile');
  }
  const options: TlsOptions = {
    cert: read('certFile', t.certFile), key: read('keyFile', t.keyFile),
    ...(t.caFile ? { ca: read('caFile', t.caFile) } : {}),
    ...(t.crlFile ? { crl: read('crlFile', t.crlFile) } : {}),
    // 'optional': a certificate is asked for; an untrusted one is refused by the guard, not by TLS.
    requestCert: t.clientCertificates !== 'off', rejectUnauthorized: t.clientCertificates === 'required',
  };
  return { host: t.host ?? config.mqtt.embeddedHost, port: t.port, options };
}
