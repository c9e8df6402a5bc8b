// Import jobs in process: a file is committed in chunks with progress after each; a job that
// stops part-way (here: the progress listener throws, as a killed process would stop) is resumed
// from the row after its last committed chunk and ends with every row imported once; a resume
// with another file is refused; a file over the row limit is refused, saying how to split it,
// before anything is written.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../helpers/db.js';
import { importSync, type ImportResult } from '../../src/fleet-import.js';
import { bufferSource, fileSource } from '../../src/import/csv-source.js';
import { isAppError } from '../../src/errors.js';

let t: TestDb;
beforeEach(() => {
  t = openTestDb();
});
afterEach(() => t.cleanup());

const csvOf = (n: number, prefix = 'r') => ['id,name,openingBalanceFen', ...Array.from({ length: n }, (_, i) => `${prefix}-${i + 1},客户${i + 1},${100 * (i + 1)}`)].join('\n');
const count = (query: string) => (t.db.prepare(query).get() as { n: number }).n;

describe('import jobs', () => {
  it('commits in chunks with progress, and resumes a stopped job from the row after its last chunk', () => {
    const config = { ...t.config, import: { ...t.config.import, chunkRows: 10 } };
    const path = join(t.dir, 'fleet.csv');
    writeFileSync(path, csvOf(35));
    const seen: number[] = [];
    let jobId = '';
    try {
      importSync(t.repos, config, 'accounts', fileSource(path), 'test', Date.now, {
        onProgress: (job) => {
          seen.push(job.rowDone);
          jobId = job.jobId;
          if (seen.length === 2) throw new Error('the process stopped');
        },
      });
      expect.unreachable('the import should have stopped');
    } catch (err) {
      expect(isAppError(err) && err.context.jobId).toBe(jobId);
    }
    expect(seen).toEqual([11, 21]);
    const stopped = t.repos.imports.get(jobId)!;
    expect(stopped).toMatchObject({ state: 'failed', rowDone: 21, created: 20 });
    expect(stopped.message).toContain(`resume=${jobId}`);
    expect(count('SELECT COUNT(*) AS n FROM accounts')).toBe(20);

    writeFileSync(join(t.dir, 'other.csv'), csvOf(35, 'x'));
    expect(() => importSync(t.repos, config, 'accounts', fileSource(join(t.dir, 'other.csv')), 'test', Date.now, { resume: jobId })).toThrow(/another file/);

    const after: ImportResult[] = [];
    const done = importSync(t.repos, config, 'accounts', fileSource(path), 'test', Date.now, { resume: jobId, onProgress: (j) => after.push(j) });
    expect(after.map((j) => j.rowDone)).toEqual([31, 36]);
    expect(done).toMatchObject({ jobId, state: 'done', rows: 35, created: 35, refused: 0, rowDone: 36 });
    expect(count('SELECT COUNT(*) AS n FROM accounts')).toBe(35);
    expect(count("SELECT COUNT(*) AS n FROM ledger_entries WHERE kind = 'opening-balance'")).toBe(35);
    expect(count("SELECT COUNT(*) AS n FROM audit WHERE action = 'account-created'")).toBe(35);
    expect(() => importSync(t.repos, config, 'accounts', fileSource(path), 'test', Date.now, { resume: jobId })).toThrow(/done already/);
  });

  it('refuses a file over the row limit, saying how to split it, before writing anything', () => {
    const config = { ...t.config, import: { ...t.config.import, maxRows: 5 } };
    expect(() => importSync(t.repos, config, 'accounts', bufferSource(Buffer.from(csvOf(6)), 'big'), 'test', Date.now)).toThrow(/at most 5 per import.*split the file/);
    expect(count('SELECT COUNT(*) AS n FROM accounts')).toBe(0);
    expect(t.repos.imports.latest(1)[0]).toMatchObject({ state: 'failed' });
  });

  it('finds duplicates across chunks, also for the rows a resume skips', () => {
    const config = { ...t.config, import: { ...t.config.import, chunkRows: 2 } };
    const rows = ['id,name', 'd-1,a', 'd-2,b', 'd-3,c', 'd-4,d', 'd-1,again'].join('\n');
    const result = importSync(t.repos, config, 'accounts', bufferSource(Buffer.from(rows), 'dups'), 'test', Date.now);
    expect(result.errors).toEqual([expect.objectContaining({ row: 6, field: 'id', code: 'CONFLICT', message: expect.stringContaining('rows 2 and 6') })]);
  });
});
