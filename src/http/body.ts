// Request bodies are text in UTF-8 (RFC 8259 §8.1 for JSON), decoded strictly: a byte sequence
// that is not UTF-8 is refused with 400 and the offset of the first bad byte. A lenient decoder
// would replace it with U+FFFD, so "T-\xff" and "T-\xfe" would become the same payment id and the
// second, different payment would be answered as a repeat and never credited.
//
//   bytes ─ charset must be utf-8 (or absent) ─ TextDecoder fatal ─ Fastify's JSON parser
//           (prototype-poisoning checks kept) ─▶ request.body
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence (Unicode §3.9, Table 3-7), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) { i++; continue; }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) { need = 2; if (b === 0xe0) lo = 0xa0; if (b === 0xed) hi = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; if (b === 0xf0) lo = 0x90; if (b === 0xf4) hi = 0x8f; }
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Decodes UTF-8 or throws a 400 naming where the text stops being UTF-8. */
export function decodeUtf8(bytes: Uint8Array, what = 'body'): string {
  try {
    return decoder.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new AppError('VALIDATION', `${what}: not valid UTF-8 (byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')} at offset ${at}); send text in UTF-8`, {
      field: what, offset: at,
    });
  }
}

/** A charset other than UTF-8 is refused (415) rather than read as if it were. */
export function checkCharset(request: FastifyRequest): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw Object.assign(new Error(`content-type charset "${charset}" is not supported: send UTF-8`), { statusCode: 415 });
  }
}

/** Replaces Fastify's JSON parser with one that refuses invalid UTF-8 and other charsets. */
export function registerStrictJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      checkCharset(request);
      text = decodeUtf8(body as Buffer);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
