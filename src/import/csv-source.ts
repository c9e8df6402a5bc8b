// Records of a CSV file read piece by piece, in bounded memory: bytes from a file (or a buffer)
// ─▶ encoding given or detected from the first MiB ─▶ iconv-lite decoder ─▶ record parser ─▶
// every record checked for replaced characters (refused with its row). The file is read with
// synchronous reads of a local file, a piece at a time; the caller decides where to yield.
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { CsvRecordParser, type CsvRecord } from './csv-records.js';
import { DETECT_BYTES, TextDecoderOf, bomLength, checkDecoded, detectEncoding, type Encoding } from './encoding.js';

const PIECE_BYTES = 256 * 1024;

/** Where a CSV file's bytes come from; `pieces()` may be called again to read it again. */
export interface CsvSource {
  /** what the file is called in jobs and messages */
  label: string;
  pieces(): Iterable<Buffer>;
}

export function fileSource(path: string, label = path): CsvSource {
  return {
    label,
    *pieces() {
      const fd = openSync(path, 'r');
      try {
        for (;;) {
          const piece = Buffer.allocUnsafe(PIECE_BYTES);
          const n = readSync(fd, piece, 0, PIECE_BYTES, null);
          if (n === 0) return;
          yield n === PIECE_BYTES ? piece : piece.subarray(0, n);
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

export function bufferSource(bytes: Buffer, label: string): CsvSource {
  return { label, *pieces() { if (bytes.length > 0) yield bytes; } };
}

/** One reading of a source: its records, its encoding once known, and the SHA-256 of its bytes once read through. */
export class CsvReader {
  encoding: Encoding | null;
  detected = false;
  private readonly hash: Hash = createHash('sha256');
  private digest: string | null = null;

  constructor(private readonly source: CsvSource, given: Encoding | undefined) {
    this.encoding = given ?? null;
  }

  /** SHA-256 of the file, hex; known once records() has run to the end. */
  get fingerprint(): string {
    if (this.digest === null) throw new Error('the file has not been read through yet');
    return this.digest;
  }

  *records(): Generator<CsvRecord> {
    const parser = new CsvRecordParser();
    const pieces = this.source.pieces()[Symbol.iterator]();
    // The head: enough of the file to detect its encoding (when not given) and find a byte-order mark.
    const head: Buffer[] = [];
    let headBytes = 0;
    let done = false;
    while (headBytes < DETECT_BYTES) {
      const next = pieces.next();
      if (next.done) { done = true; break; }
      head.push(next.value);
      headBytes += next.value.length;
      this.hash.update(next.value);
    }
    const first = Buffer.concat(head);
    if (this.encoding === null) {
      this.encoding = detectEncoding(first, done);
      this.detected = true;
    }
    const encoding = this.encoding;
    const decoder = new TextDecoderOf(encoding);
    const check = (records: CsvRecord[]) => {
      for (const r of records) checkDecoded(r.row, r.cells, encoding, this.detected);
      return records;
    };
    yield* check(parser.push(decoder.write(first.subarray(bomLength(first, encoding)))));
    if (!done) {
      for (let next = pieces.next(); !next.done; next = pieces.next()) {
        this.hash.update(next.value);
        yield* check(parser.push(decoder.write(next.value)));
      }
    }
    yield* check(parser.push(decoder.end()));
    yield* check(parser.end());
    this.digest = this.hash.digest('hex');
  }
}
