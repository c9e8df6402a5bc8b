// Test runner configuration: tests run in forked processes (native modules, ptys) with generous
// timeouts for scenario tests that drive real serial lines at meter baud rates.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    restoreMocks: true,
  },
});
