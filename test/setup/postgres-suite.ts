// Global set-up for the suite on PostgreSQL (FK_TEST_DATABASE=postgres, `npm run test:pg`):
// one private server for the whole run, and a template database with the migrations applied.
// Every test database is a copy of the template (test/helpers/database.ts). fsync is off: tests
// kill daemons, never this server.
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { connectPostgresSync } from '../../src/db/pg/sync.js';
import { migratePostgresSync } from '../../src/db/pg/migrate-sync.js';

let server: TestPostgres | undefined;

export async function setup(): Promise<void> {
  if (process.env.FK_TEST_DATABASE !== 'postgres') return;
  server = await startPostgres({ fsync: 'off', full_page_writes: 'off', max_connections: '300' });
  const templateUrl = await server.createDatabase('feikong_template');
  const db = connectPostgresSync(templateUrl);
  try {
    migratePostgresSync(db);
  } finally {
    db.close();
  }
  // Test workers are forked after this and inherit it.
  process.env.FK_TEST_PG_SERVER = server.url;
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
