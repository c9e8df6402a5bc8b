// MQTT passwords hashed as Mosquitto 2 stores them (mosquitto_passwd's default, "sha512-pbkdf2"):
//
//   $7$<iterations>$<base64 salt, 12 bytes>$<base64 PBKDF2-HMAC-SHA512(password, salt, iterations, 64 bytes)>
//
// One stored hash serves both brokers: the embedded one verifies it here, and a generated
// Mosquitto password file carries it unchanged (src/mqtt/mosquitto-config.ts), so neither needs the
// password, which is shown once and never stored. The passwords are random 192-bit secrets made
// here, never chosen by people: the iteration count is defence in depth, kept moderate because
// every CONNECT pays it (Mosquitto on its one thread), e.g. a whole fleet reconnecting at once.
import { pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const PBKDF2_ITERATIONS = 20_000;
const SALT_BYTES = 12;
const HASH_BYTES = 64;
/** Mosquitto's format; iterations up to what mosquitto_passwd accepts (-I, an int). */
const FORMAT = /^\$7\$([1-9][0-9]{0,9})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** A new random secret for a concentrator (base64url, 32 characters). */
export function newMqttSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** The `$7$` hash of `password` (synchronous: a few milliseconds of CPU). */
export function hashMqttPassword(password: string, iterations = PBKDF2_ITERATIONS): string {
  const salt = randomBytes(SALT_BYTES);
  return format(iterations, salt, pbkdf2Sync(password, salt, iterations, HASH_BYTES, 'sha512'));
}

/** The same, computed off the event loop (libuv's thread pool). */
export function hashMqttPasswordAsync(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, HASH_BYTES, 'sha512', (err, hash) => (err ? reject(err) : resolve(format(iterations, salt, hash))));
  });
}

/** True when `password` matches `stored`; false for a wrong password or a hash in another format. Off the event loop. */
export function verifyMqttPassword(password: Buffer | string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return Promise.resolve(false);
  return new Promise((resolve) => {
    pbkdf2(password, parsed.salt, parsed.iterations, parsed.hash.length, 'sha512', (err, hash) => {
      resolve(!err && hash.length === parsed.hash.length && timingSafeEqual(hash, parsed.hash));
    });
  });
}

function format(iterations: number, salt: Buffer, hash: Buffer): string {
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

function parse(stored: string): { iterations: number; salt: Buffer; hash: Buffer } | null {
  const m = FORMAT.exec(stored);
  if (!m) return null;
  const iterations = Number(m[1]);
  if (iterations > 2_147_483_647) return null;
  const hash = Buffer.from(m[3]!, 'base64');
  return hash.length === HASH_BYTES ? { iterations, salt: Buffer.from(m[2]!, 'base64'), hash } : null;
}
