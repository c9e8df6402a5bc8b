// Outbox ids become visible in order on PostgreSQL with several writers: every event is written
// under the writer lock, inside the transaction of the change that caused it or in one of its own.
// Shown with a second session holding the lock: an event cannot be written until it lets go.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openConfiguredDatabase } from '../../../src/db/open.js';
import { createRepositories, type Repositories } from '../../../src/db/repo/index.js';
import { WRITER_LOCK_KEY, type PgSyncDatabase } from '../../../src/db/pg/sync.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

describe('outbox order on PostgreSQL', () => {
  let server: TestPostgres;
  let db: PgSyncDatabase;
  let repos: Repositories;
  let other: pg.Client;

  beforeAll(async () => {
    server = await startPostgres();
    const url = await server.createDatabase('outbox_order');
    db = openConfiguredDatabase({ dataDir: '.', database: { url } }) as PgSyncDatabase;
    repos = createRepositories(db);
    db.exec(`SET lock_timeout = '300ms'`);
    other = new pg.Client({ connectionString: url });
    await other.connect();
  }, 60_000);

  afterAll(async () => {
    await other?.end();
    db?.close();
    await server?.stop();
  });

  it('an event written outside a transaction waits for the writer lock', async () => {
    const first = repos.journal.appendEvent('probe', null, null, { n: 1 }, 1);
    await other.query('BEGIN');
    await other.query(`SELECT pg_advisory_xact_lock(${WRITER_LOCK_KEY})`);
    // Another writer's transaction is open: the event would take an id it may commit after.
    expect(() => repos.journal.appendEvent('probe', null, null, { n: 2 }, 2)).toThrow(/lock timeout/);
    await other.query('COMMIT');
    const second = repos.journal.appendEvent('probe', null, null, { n: 3 }, 3);
    expect(second).toBeGreaterThan(first);
    expect(repos.journal.events(0, null, 10).map((e) => JSON.parse(e.data as unknown as string).n)).toEqual([1, 3]);
  });

  it('inside a transaction the event is written under the transaction\'s own lock', () => {
    const ids = repos.transaction(() => [
      repos.journal.appendEvent('probe', null, null, { n: 4 }, 4),
      repos.journal.appendEvent('probe', null, null, { n: 5 }, 5),
    ]);
    expect(ids[1]).toBe(ids[0]! + 1);
  });
});
