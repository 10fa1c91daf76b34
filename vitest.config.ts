import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests share two cores and real services; each file isolates itself by prefix/vhost/db/namespace.
    pool: 'forks',
    maxWorkers: 4,
  },
});
