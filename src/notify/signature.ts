// The webhook request a subscriber receives, and how it proves where it came from and when: an
// HMAC-SHA256, with the subscriber's secret, of the timestamp and the exact body bytes
// (docs/webhooks.md is the receiver's contract).
//
//   POST <url>
//   Content-Type: application/json
//   X-Feikong-Event-Id: 4711                 the outbox event id (unique, increasing)
//   X-Feikong-Event-Type: payment-posted
//   X-Feikong-Timestamp: 1795474535          when this attempt was signed (Unix seconds)
//   X-Feikong-Delivery-Attempt: 1
//   X-Feikong-Signature: t=1795474535,v1=<hex HMAC-SHA256(secret, "1795474535." + body)>
//
//   {"id":4711,"type":"payment-posted","accountId":"…","meterId":null,"createdAt":"…","data":{…}}
//
// The timestamp is signed, so a captured delivery cannot be replayed later with a fresh one: a
// receiver refuses a `t` further from its own clock than its tolerance (300 s recommended). While
// a secret is being rotated the header carries one `v1=` per valid secret, newest first; a
// receiver accepts the request when any of them matches a secret it knows.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-feikong-signature';
/** The signature scheme's version tag in the header. */
export const SIGNATURE_SCHEME = 'v1';
/** What receivers are told to enforce between `t` and their own clock (docs/webhooks.md). */
export const RECOMMENDED_TOLERANCE_SECONDS = 300;

export interface WebhookEvent {
  id: number;
  type: string;
  accountId: string | null;
  meterId: string | null;
  createdAt: number;
  /** the event's JSON data as stored */
  data: string;
}

/** The body of a delivery, the same bytes on every attempt. */
export function webhookBody(event: WebhookEvent): string {
  return `{"id":${event.id},"type":${JSON.stringify(event.type)},"accountId":${JSON.stringify(event.accountId)},` +
    `"meterId":${JSON.stringify(event.meterId)},"createdAt":${JSON.stringify(new Date(event.createdAt).toISOString())},"data":${event.data}}`;
}

/** The hex HMAC-SHA256 of "<t>.<body>" with `secret`. */
export function signPayload(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
}

/** The X-Feikong-Signature value: `t=<unix>,v1=<hex>` with one v1 per secret (newest first). */
export function signatureHeader(secrets: readonly string[], timestampSeconds: number, body: string): string {
  return [`t=${timestampSeconds}`, ...secrets.map((s) => `${SIGNATURE_SCHEME}=${signPayload(s, timestampSeconds, body)}`)].join(',');
}

export interface ParsedSignature {
  timestampSeconds: number;
  signatures: string[];
}

/** Splits a signature header into its timestamp and v1 signatures; null when malformed. */
export function parseSignatureHeader(header: string | undefined): ParsedSignature | null {
  if (!header) return null;
  let timestampSeconds: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return null;
      timestampSeconds = Number(value);
    } else if (key === SIGNATURE_SCHEME && /^[0-9a-f]{64}$/.test(value)) {
      signatures.push(value);
    }
  }
  return timestampSeconds === null || signatures.length === 0 ? null : { timestampSeconds, signatures };
}

export type Verdict = { ok: true } | { ok: false; reason: 'malformed' | 'too-old' | 'too-new' | 'mismatch' };

/**
 * A receiver's check: the header is well formed, its timestamp within `toleranceSeconds` of
 * `nowSeconds`, and one of its v1 signatures matches one of `secrets` (constant-time compare).
 */
export function verifySignature(secrets: readonly string[], body: string, header: string | undefined,
  nowSeconds: number, toleranceSeconds = RECOMMENDED_TOLERANCE_SECONDS): Verdict {
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  if (nowSeconds - parsed.timestampSeconds > toleranceSeconds) return { ok: false, reason: 'too-old' };
  if (parsed.timestampSeconds - nowSeconds > toleranceSeconds) return { ok: false, reason: 'too-new' };
  for (const secret of secrets) {
    const expected = Buffer.from(signPayload(secret, parsed.timestampSeconds, body), 'hex');
    for (const given of parsed.signatures) {
      if (timingSafeEqual(expected, Buffer.from(given, 'hex'))) return { ok: true };
    }
  }
  return { ok: false, reason: 'mismatch' };
}

export function webhookHeaders(secrets: readonly string[], event: WebhookEvent, body: string, attempt: number, now: number): Record<string, string> {
  const t = Math.floor(now / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': 'feikong-webhooks/1',
    'x-feikong-event-id': String(event.id),
    'x-feikong-event-type': event.type,
    'x-feikong-timestamp': String(t),
    'x-feikong-delivery-attempt': String(attempt),
    [SIGNATURE_HEADER]: signatureHeader(secrets, t, body),
  };
}
