// Test helpers for the DL/T 645 codec: hex ↔ bytes and the published third-party frame vectors.
import { readFileSync } from 'node:fs';

export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

export function toHex(bytes: Uint8Array): string {
  return (Buffer.from(bytes).toString('hex').toUpperCase().match(/../g) ?? []).join(' ');
}

/** Bytes written one per line in a test, each with its comment. */
export function bytes(...values: number[]): Buffer {
  return Buffer.from(values);
}

export interface Vector {
  id: string;
  edition: '1997' | '2007';
  hex: string;
  meaning: string;
  source: string;
}

// Published third-party frames, kept with the tests: test/fixtures/dlt645-vectors.json.
const VECTORS_URL = new URL('../../fixtures/dlt645-vectors.json', import.meta.url);

export function loadVectors(): Vector[] {
  const doc = JSON.parse(readFileSync(VECTORS_URL, 'utf8')) as { vectors: Vector[] };
  return doc.vectors;
}
