// One webhook request: POST the signed body, answer the status. Sent with node:http(s) rather than
// fetch so that the connection's DNS lookup is the guarded one (src/notify/targets.ts): the address
// checked is the address connected to. Redirects are not followed (a 3xx is a failed attempt), and
// the whole exchange is bounded by `timeoutMs`.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { WebhookTargets } from './targets.js';

export class WebhookTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/** Posts `body` to `url` and resolves with the answer's status; the answer's body is discarded. */
export function postWebhook(url: URL, body: string, headers: Record<string, string>, timeoutMs: number, targets: WebhookTargets): Promise<number> {
  targets.checkLiteral(url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: targets.lookupFor(url) as never,
    });
    const timer = setTimeout(() => req.destroy(new WebhookTimeout(timeoutMs)), timeoutMs);
    req.once('response', (res: IncomingMessage) => {
      clearTimeout(timer);
      // The answer's body is not read: a receiver that sends an endless one holds nothing.
      res.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}
