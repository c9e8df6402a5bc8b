// A port the daemon cannot listen on, said so that a person can fix it: which listener, which
// address, why, and the configuration key and environment variable to change. src/main.ts prints
// a StartupError as one line, without a stack trace, and exits with status 1.
import { createServer } from 'node:net';

export class StartupError extends Error {
  readonly code = 'STARTUP';
  constructor(message: string, readonly setting: string) {
    super(message);
    this.name = 'StartupError';
  }
}

export function isStartupError(e: unknown): e is StartupError {
  return e instanceof StartupError;
}

/** One listener and the settings that place it. */
export interface Listener {
  /** what listens, for the message: "HTTP API" */
  what: string;
  host: string;
  port: number;
  portKey: string;
  portEnv: string;
  hostKey: string;
  hostEnv: string;
  /** a further way out, said after the port setting */
  alternative?: string;
}

export function httpListener(http: { host: string; port: number }): Listener {
  return { what: 'HTTP API', host: http.host, port: http.port, portKey: 'http.port', portEnv: 'FEIKONG_HTTP__PORT', hostKey: 'http.host', hostEnv: 'FEIKONG_HTTP__HOST' };
}

export function mqttListener(mqtt: { embeddedHost: string; embeddedPort: number }): Listener {
  return {
    what: 'embedded MQTT broker', host: mqtt.embeddedHost, port: mqtt.embeddedPort,
    portKey: 'mqtt.embeddedPort', portEnv: 'FEIKONG_MQTT__EMBEDDED_PORT', hostKey: 'mqtt.embeddedHost', hostEnv: 'FEIKONG_MQTT__EMBEDDED_HOST',
    alternative: 'or use the broker already there with mqtt.url (FEIKONG_MQTT__URL=mqtt://host:port)',
  };
}

/** The error to report for a failed listen: a StartupError for the causes a setting fixes, else `err` itself. */
export function listenError(err: unknown, l: Listener): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const at = `port ${l.port} on ${l.host}`;
  const port = `set another port with ${l.portKey} in the configuration file or the environment variable ${l.portEnv}, e.g. ${l.portEnv}=${suggest(l.port)}`;
  const more = l.alternative ? `, ${l.alternative}` : '';
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError(`${l.what}: ${at} is already in use (another feikong, or another program, listens there); ${port}${more}`, l.portKey);
    case 'EACCES':
      return new StartupError(`${l.what}: no permission to listen on ${at} (ports below 1024 need privileges); ${port}`, l.portKey);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`${l.what}: ${l.host} is not an address of this machine; set ${l.hostKey} (environment ${l.hostEnv}) to one of its addresses, 127.0.0.1 or 0.0.0.0 for all`, l.hostKey);
    default:
      return err;
  }
}

function suggest(port: number): number {
  return port >= 65535 ? 8081 : port + 1;
}

/**
 * Fails early, before anything starts, when the listener's port is taken: binds it and lets it go.
 * (The real listen may still lose a race and reports the same way.) Port 0 always succeeds.
 */
export async function checkListenable(l: Listener): Promise<void> {
  if (l.port === 0) return;
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: l.host, port: l.port, exclusive: true }, () => resolve());
    });
  } catch (err) {
    throw listenError(err, l);
  } finally {
    await new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  }
}
