#!/usr/bin/env node
// A minimal feikong webhook receiver, in plain Node.js with no dependencies: it checks each
// delivery's signature and timestamp, de-duplicates by event id, and answers 204.
//
//   FEIKONG_WEBHOOK_SECRETS=whsec_new,whsec_old PORT=9000 node docs/examples/webhook-receiver.mjs
//
// FEIKONG_WEBHOOK_SECRETS lists the secrets you accept (comma-separated): during a rotation, both.
// `verifyFeikongSignature` is the part to copy into your own receiver.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

/** Refuse deliveries signed longer ago (or further ahead) than this: a captured request cannot be replayed later. */
export const TOLERANCE_SECONDS = 300;

/**
 * Checks the X-Feikong-Signature header ("t=<unix>,v1=<hex>[,v1=<hex>…]") of a delivery whose raw
 * body (the exact bytes received, before any JSON parsing) is `rawBody`. Returns null when it is
 * good, or the reason it is not.
 */
export function verifyFeikongSignature(secrets, rawBody, header, nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = TOLERANCE_SECONDS) {
  if (typeof header !== 'string') return 'no signature';
  let t = null;
  const given = [];
  for (const part of header.split(',')) {
    const [key, value] = part.split('=', 2).map((s) => s?.trim());
    if (key === 't' && /^\d+$/.test(value ?? '')) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value ?? '')) given.push(Buffer.from(value, 'hex'));
  }
  if (t === null || given.length === 0) return 'malformed signature';
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return 'timestamp outside the tolerance';
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) return null;
  }
  return 'signature mismatch';
}

/** A receiver: verified, de-duplicated events go to `onEvent`. */
export function createReceiver(secrets, onEvent, seen = new Set()) {
  return createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const problem = verifyFeikongSignature(secrets, raw, req.headers['x-feikong-signature']);
      if (problem) {
        res.writeHead(401).end(problem);
        return;
      }
      const event = JSON.parse(raw.toString('utf8'));
      // At-least-once delivery: the same event may come again (a retry after a lost answer).
      if (!seen.has(event.id)) {
        seen.add(event.id);
        onEvent(event);
      }
      res.writeHead(204).end();
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secrets = (process.env.FEIKONG_WEBHOOK_SECRETS ?? '').split(',').filter(Boolean);
  if (secrets.length === 0) {
    process.stderr.write('set FEIKONG_WEBHOOK_SECRETS to the subscription secret(s)\n');
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 9000);
  createReceiver(secrets, (e) => process.stdout.write(`${e.id} ${e.type} ${JSON.stringify(e.data)}\n`)).listen(port, () => {
    process.stdout.write(`listening on :${port}\n`);
  });
}
