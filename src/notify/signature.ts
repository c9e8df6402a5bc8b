// The webhook request a subscriber receives, and how it proves where it came from: an
// HMAC-SHA256 of the exact body bytes with the subscriber's secret.
//
//   POST <url>
//   Content-Type: application/json
//   X-Feikong-Event-Id: 4711                 the outbox event id (unique, increasing)
//   X-Feikong-Event-Type: payment-posted
//   X-Feikong-Timestamp: 1795474535          when this attempt was sent (Unix seconds)
//   X-Feikong-Delivery-Attempt: 1
//   X-Feikong-Signature: sha256=<hex HMAC-SHA256(secret, body)>
//
//   {"id":4711,"type":"payment-posted","accountId":"…","meterId":null,"createdAt":"…","data":{…}}
//
// A receiver recomputes the HMAC over the raw body and compares in constant time (`verifySignature`);
// the event id makes a retried delivery recognisable.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-feikong-signature';

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

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signature(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function webhookHeaders(secret: string, event: WebhookEvent, body: string, attempt: number, now: number): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'feikong-webhooks/1',
    'x-feikong-event-id': String(event.id),
    'x-feikong-event-type': event.type,
    'x-feikong-timestamp': String(Math.floor(now / 1000)),
    'x-feikong-delivery-attempt': String(attempt),
    [SIGNATURE_HEADER]: signature(secret, body),
  };
}
