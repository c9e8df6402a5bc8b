// The webhook contract as OpenAPI 3.1 `webhooks`: one entry per event type, each the POST a
// subscriber receives, with its headers, the envelope, the type's `data` schema and an example
// (from the catalogue in event-types.ts; docs/webhooks.md explains the same in words).
import { Type } from '@sinclair/typebox';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { EVENT_TYPES, type EventTypeSpec } from './event-types.js';
import { RECOMMENDED_TOLERANCE_SECONDS } from './signature.js';

const HEADERS = {
  'X-Feikong-Event-Id': { description: 'the event id: unique and increasing; de-duplicate deliveries by it', schema: { type: 'string' } },
  'X-Feikong-Event-Type': { description: 'the event type (also in the body)', schema: { type: 'string' } },
  'X-Feikong-Timestamp': { description: 'when this attempt was signed, Unix seconds (also `t` in the signature)', schema: { type: 'string' } },
  'X-Feikong-Delivery-Attempt': { description: '1 for the first attempt, counted up by each retry (and across restarts)', schema: { type: 'string' } },
  'X-Feikong-Signature': {
    description: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>; one v1 per valid secret while a secret is being rotated. `
      + `Refuse a t more than ${RECOMMENDED_TOLERANCE_SECONDS} s from your clock.`,
    schema: { type: 'string' },
  },
};

function envelope(type: string, spec: EventTypeSpec) {
  return Type.Object({
    id: Type.Integer({ description: 'the event id (X-Feikong-Event-Id)' }),
    type: Type.Literal(type),
    accountId: Type.Union([Type.String(), Type.Null()], { description: 'the account it concerns, if any' }),
    meterId: Type.Union([Type.String(), Type.Null()], { description: 'the meter it concerns, if any' }),
    createdAt: Type.String({ description: 'when the event was recorded (ISO 8601, UTC)' }),
    data: spec.data,
  });
}

/** The OpenAPI `webhooks` object. */
type Document = Extract<NonNullable<FastifyDynamicSwaggerOptions['openapi']>, { webhooks?: unknown }>;
type Webhooks = NonNullable<Document['webhooks']>;

export function webhooksOpenApi(): Webhooks {
  const out: Webhooks = {};
  for (const [type, spec] of Object.entries(EVENT_TYPES) as Array<[string, EventTypeSpec]>) {
    out[type] = ({
      post: {
        summary: spec.description,
        tags: ['webhooks'],
        parameters: Object.entries(HEADERS).map(([name, h]) => ({ name, in: 'header', required: true, ...h })),
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: envelope(type, spec),
              example: { id: 4711, type, accountId: spec.subject === 'none' ? null : 'acc-1', meterId: spec.subject === 'meter' ? 'm-1' : null, createdAt: '2026-12-07T02:00:00.000Z', data: spec.example },
            },
          },
        },
        responses: {
          '2XX': { description: 'Received: the delivery is done. Anything else (or no answer within the timeout) is retried with backoff, in order.' },
        },
      },
    }) as Webhooks[string];
  }
  return out;
}
