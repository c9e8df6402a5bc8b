// The text encoding of an imported CSV file: UTF-8 (with or without a byte-order mark), GBK or
// GB18030 (what Excel in China saves by default). Given by the caller (an HTTP charset parameter,
// the CLI's --encoding), else detected: a byte-order mark names it; otherwise the start of the
// file is UTF-8 if it decodes as UTF-8 strictly, else GB18030 (a superset of GBK and GB2312).
// The decoding itself is iconv-lite's. A decoder replaces bytes it cannot decode with U+FFFD;
// a record holding U+FFFD is refused with its row number, so text is never replaced silently (a
// U+FFFD already in the file is the mark of an earlier conversion that lost the text, and is
// refused as well).
import iconv from 'iconv-lite';
import { AppError } from '../errors.js';

export const ENCODINGS = ['utf-8', 'gbk', 'gb18030'] as const;
export type Encoding = (typeof ENCODINGS)[number];
export const ENCODINGS_IN_WORDS = 'utf-8, gbk or gb18030 (gb2312 is read as gbk)';

/** How much of the start of a file detection looks at. */
export const DETECT_BYTES = 1024 * 1024;

const ALIASES: Record<string, Encoding> = {
  'utf-8': 'utf-8', utf8: 'utf-8', gbk: 'gbk', cp936: 'gbk', gb2312: 'gbk', 'x-gbk': 'gbk', gb18030: 'gb18030',
};

/** The encoding a name stands for (any case; utf8, cp936 and gb2312 accepted); refuses others. */
export function encodingNamed(name: string, field: string): Encoding {
  const found = ALIASES[name.trim().toLowerCase()];
  if (!found) throw new AppError('VALIDATION', `${field}: "${name}" is not an encoding an import reads; give ${ENCODINGS_IN_WORDS}`, { field });
  return found;
}

/** The charset parameter of a content-type header, if any. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return match?.[1];
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const GB18030_BOM = [0x84, 0x31, 0x95, 0x33];

function startsWith(head: Buffer, bytes: number[]): boolean {
  return head.length >= bytes.length && bytes.every((b, i) => head[i] === b);
}

/** The encoding of a file from its first bytes (up to DETECT_BYTES; `complete` when that is the whole file). */
export function detectEncoding(head: Buffer, complete: boolean): Encoding {
  if (startsWith(head, UTF8_BOM)) return 'utf-8';
  if (startsWith(head, GB18030_BOM)) return 'gb18030';
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new AppError('VALIDATION', `the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as CSV in ${ENCODINGS_IN_WORDS}`, { field: 'encoding' });
  }
  try {
    // stream: true leaves a character cut at the end of `head` for later: not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: !complete });
    return 'utf-8';
  } catch {
    return 'gb18030';
  }
}

/** A byte-order mark the file starts with, to be skipped: its length in bytes. */
export function bomLength(head: Buffer, encoding: Encoding): number {
  if (encoding === 'utf-8' && startsWith(head, UTF8_BOM)) return UTF8_BOM.length;
  if (encoding === 'gb18030' && startsWith(head, GB18030_BOM)) return GB18030_BOM.length;
  return 0;
}

/** Decodes a file piece by piece; pieces may cut a character anywhere. */
export class TextDecoderOf {
  private readonly decoder: { write(b: Buffer): string; end(): string | undefined };

  constructor(readonly encoding: Encoding) {
    this.decoder = iconv.getDecoder(encoding, { stripBOM: false });
  }

  write(bytes: Buffer): string {
    return this.decoder.write(bytes);
  }

  end(): string {
    return this.decoder.end() ?? '';
  }
}

/** Refuses a record that holds a replaced character, naming its row. */
export function checkDecoded(row: number, cells: string[], encoding: Encoding, detected: boolean): void {
  for (let c = 0; c < cells.length; c++) {
    if (!cells[c]!.includes('\uFFFD')) continue;
    const how = detected ? `read as ${encoding} (detected from the start of the file)` : `read as ${encoding}`;
    const hint = encoding === 'utf-8'
      ? `if the file is GBK or GB18030 (as Excel in China saves it), say so: --encoding gbk, or content-type text/csv; charset=gbk`
      : 'if the file is UTF-8, say so: --encoding utf-8, or content-type text/csv; charset=utf-8';
    throw new AppError('VALIDATION', `CSV row ${row}, column ${c + 1}: bytes that are not valid ${encoding}, ${how}, or a U+FFFD replacement character left by an earlier conversion; nothing was imported. ${hint}`, {
      field: 'encoding', row, column: c + 1, encoding,
    });
  }
}
