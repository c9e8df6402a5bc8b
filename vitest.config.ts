// Test runner configuration: tests run in forked processes (native modules, ptys) with generous
// timeouts for scenario tests that drive real serial lines at meter baud rates. With
// FK_TEST_DATABASE=postgres (`npm run test:pg`) the same suite runs on PostgreSQL, all but the
// benchmark smoke run: the benchmarks choose their databases themselves (SQLite files and private
// PostgreSQL servers), so it would run the same thing twice.
import { configDefaults, defineConfig } from 'vitest/config';

const onPostgres = process.env.FK_TEST_DATABASE === 'postgres';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(onPostgres ? ['test/bench/**'] : [])],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    restoreMocks: true,
    globalSetup: ['test/setup/postgres-suite.ts'],
  },
});
