// Rows of one file that name the same record: the same id twice, or (meters) the same address on
// the same bus or concentrator. The first pass keeps a 30-bit hash of each key with the first row
// that had it (a few tens of bytes a row, not the keys themselves); a later row whose hash was
// seen is a candidate. The second pass remembers the keys of the rows that candidates point at
// and compares the real keys, so a hash collision is never reported: a duplicate is named with
// both rows.
import type { CsvRecord } from './csv-records.js';

interface Candidate {
  what: 'id' | 'address';
  firstRow: number;
}

/** FNV-1a over UTF-16 code units, cut to 30 bits (a small integer in V8). */
function hash30(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h & 0x3fffffff;
}

export class DuplicateFinder {
  private columns: { id: number; address: number; busId: number; concentratorId: number; protocol: number } | null = null;
  private readonly firstById = new Map<number, number>();
  private readonly firstByAddress = new Map<number, number>();
  private readonly candidates = new Map<number, Candidate[]>();
  private readonly wanted = new Set<number>();
  private readonly remembered = new Map<number, { id: string; address: string | null }>();

  constructor(private readonly kind: 'accounts' | 'meters') {}

  setHeader(header: string[]): void {
    this.columns = {
      id: header.indexOf('id'), address: header.indexOf('address'), busId: header.indexOf('busId'),
      concentratorId: header.indexOf('concentratorId'), protocol: header.indexOf('protocol'),
    };
  }

  private cell(record: CsvRecord, column: number): string {
    return column < 0 ? '' : (record.cells[column] ?? '').trim();
  }

  /** The key of the meter's address: where it is unique (its bus or its concentrator) and the address. */
  private addressKey(record: CsvRecord): string | null {
    if (this.kind !== 'meters') return null;
    const c = this.columns!;
    const address = this.cell(record, c.address);
    if (address === '') return null;
    const mqtt = this.cell(record, c.protocol) === 'mqtt';
    const scope = mqtt ? this.cell(record, c.concentratorId) : this.cell(record, c.busId);
    return `${mqtt ? 'concentrator' : 'bus'} ${scope}\u0000${address}`;
  }

  /** Pass 1: every data row, in order. */
  see(record: CsvRecord): void {
    const id = this.cell(record, this.columns!.id);
    const found: Candidate[] = [];
    if (id !== '') {
      const h = hash30(id);
      const first = this.firstById.get(h);
      if (first === undefined) this.firstById.set(h, record.row);
      else found.push({ what: 'id', firstRow: first });
    }
    const key = this.addressKey(record);
    if (key !== null) {
      const h = hash30(key);
      const first = this.firstByAddress.get(h);
      if (first === undefined) this.firstByAddress.set(h, record.row);
      else found.push({ what: 'address', firstRow: first });
    }
    if (found.length > 0) {
      this.candidates.set(record.row, found);
      for (const f of found) this.wanted.add(f.firstRow);
    }
  }

  /**
   * Pass 2, every data row in order (rows skipped on a resume included): null, or the duplicate
   * this row is of an earlier one, with both rows named.
   */
  check(record: CsvRecord): { field: string; message: string } | null {
    const id = this.cell(record, this.columns!.id);
    const key = this.addressKey(record);
    if (this.wanted.has(record.row)) this.remembered.set(record.row, { id, address: key });
    for (const c of this.candidates.get(record.row) ?? []) {
      const earlier = this.remembered.get(c.firstRow);
      if (!earlier) continue;
      if (c.what === 'id' && earlier.id === id) {
        return { field: 'id', message: `id "${id}" is also in row ${c.firstRow} of this file: rows ${c.firstRow} and ${record.row} name the same ${this.kind === 'accounts' ? 'account' : 'meter'}, so row ${record.row} is not imported` };
      }
      if (c.what === 'address' && earlier.address === key && key !== null) {
        const [scope, address] = key.split('\u0000') as [string, string];
        return { field: 'address', message: `address "${address}" on ${scope} is also in row ${c.firstRow} of this file: rows ${c.firstRow} and ${record.row} give two meters one address, so row ${record.row} is not imported` };
      }
    }
    return null;
  }
}
