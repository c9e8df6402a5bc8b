// Reading a CSV file piece by piece: however the bytes are cut (inside a quoted field, between CR
// and LF, inside a two- or four-byte GBK/GB18030 character, inside a UTF-8 sequence), the records
// are those of the whole text; and a file is refused at its first row holding bytes that do not
// decode, whatever the cut.
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { CsvReader, type CsvSource } from '../../src/import/csv-source.js';
import { parseCsv } from '../../src/import/csv-records.js';
import type { Encoding } from '../../src/import/encoding.js';

/** A source handing out `bytes` cut at the given offsets. */
function cutSource(bytes: Buffer, cuts: number[]): CsvSource {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  return {
    label: 'cut',
    *pieces() {
      let from = 0;
      for (const to of [...at, bytes.length]) {
        if (to > from) yield bytes.subarray(from, to);
        from = Math.max(from, to);
      }
    },
  };
}

const cell = fc.oneof(
  fc.constantFrom('', '张三', '𠮷田', '㐀', 'Wang, Fang', 'say "hi"', 'two\nlines', 'cr\r\nlf', 'x'),
  fc.string({ maxLength: 6 }).filter((s) => !s.includes('\uFFFD') && !/[\uD800-\uDFFF]/.test(s)),
);
const quote = (c: string) => (/[",\r\n]/.test(c) || c === '' ? `"${c.replace(/"/g, '""')}"` : c);
const table = fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 8 });

function read(source: CsvSource, encoding: Encoding | undefined): string[][] {
  return [...new CsvReader(source, encoding).records()].map((r) => r.cells);
}

describe('CsvReader', () => {
  it('gives the records of the whole text however the bytes are cut', () => {
    fc.assert(fc.property(table, fc.constantFrom<Encoding>('utf-8', 'gb18030'), fc.array(fc.nat(4000), { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), (rows, encoding, cuts, eol) => {
      const text = `${rows.map((r) => r.map(quote).join(',')).join(eol)}${eol}`;
      const bytes = iconv.encode(text, encoding);
      expect(read(cutSource(bytes, cuts), encoding)).toEqual(parseCsv(text));
    }), { numRuns: 300 });
  });

  it('refuses the first row with bytes that do not decode, whatever the cut', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.nat(400), { maxLength: 8 }), (good, cuts) => {
      const head = iconv.encode(`id,name\n${Array.from({ length: good }, (_, i) => `a${i},张${i}\n`).join('')}`, 'gbk');
      const bytes = Buffer.concat([head, Buffer.from('bad,'), Buffer.from([0x81, 0x0a]), Buffer.from('z,y\n')]);
      expect(() => read(cutSource(bytes, cuts), 'gbk')).toThrow(`CSV row ${good + 2}, column 2`);
    }), { numRuns: 100 });
  });
});
