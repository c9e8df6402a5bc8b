// RFC 4180 records from text that arrives in pieces: quoted fields may hold commas, doubled quotes
// and line breaks, records end at LF, CRLF or CR. Each record carries its spreadsheet row number
// (the first record is row 1), blank rows included in the count, so a row number in an error is
// the row a person sees when the file is opened in a spreadsheet.
import { AppError } from '../errors.js';

export interface CsvRecord {
  row: number;
  cells: string[];
}

export class CsvRecordParser {
  private record: string[] = [];
  private field = '';
  private quoted = false;
  /** a quote just closed inside a quoted field: a second one is an escaped quote */
  private quoteSeen = false;
  /** the last character was CR: a following LF belongs to the same line break */
  private afterCr = false;
  private row = 1;

  /** The records completed by this piece of text. */
  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.afterCr) {
        this.afterCr = false;
        if (c === 0x0a) { start = i + 1; continue; }
      }
      if (this.quoted) {
        if (c !== 0x22) continue;
        this.field += text.slice(start, i);
        start = i + 1;
        this.quoted = false;
        this.quoteSeen = true;
        continue;
      }
      if (this.quoteSeen) {
        this.quoteSeen = false;
        if (c === 0x22) { // "" inside quotes: one quote, and still quoted
          this.field += '"';
          this.quoted = true;
          start = i + 1;
          continue;
        }
      }
      if (c === 0x22 && this.field === '' && i === start) {
        this.quoted = true;
        start = i + 1;
      } else if (c === 0x2c) {
        this.record.push(this.field + text.slice(start, i));
        this.field = '';
        start = i + 1;
      } else if (c === 0x0a || c === 0x0d) {
        this.record.push(this.field + text.slice(start, i));
        out.push({ row: this.row++, cells: this.record });
        this.record = [];
        this.field = '';
        start = i + 1;
        this.afterCr = c === 0x0d;
      }
    }
    this.field += text.slice(start);
    return out;
  }

  /** The last record, when the text does not end with a line break. */
  end(): CsvRecord[] {
    this.quoteSeen = false;
    if (this.quoted) throw new AppError('VALIDATION', `CSV row ${this.row}: a quoted field is not closed (a " opens it and no " ends it before the end of the file)`, { row: this.row });
    if (this.field === '' && this.record.length === 0) return [];
    this.record.push(this.field);
    this.field = '';
    const last = { row: this.row++, cells: this.record };
    this.record = [];
    return [last];
  }
}

/** Every record of a whole text; a leading byte-order mark is dropped. */
export function parseCsv(text: string): string[][] {
  const parser = new CsvRecordParser();
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return [...parser.push(body), ...parser.end()].map((r) => r.cells);
}
