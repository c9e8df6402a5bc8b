// Test runner configuration: tests run in forked processes (native modules, ptys) with generous
// timeouts for scenario tests that drive real serial lines at meter baud rates. With
// FK_TEST_DATABASE=postgres (`npm run test:pg`) the same suite runs on PostgreSQL.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    restoreMocks: true,
    globalSetup: ['test/setup/postgres-suite.ts'],
  },
});
