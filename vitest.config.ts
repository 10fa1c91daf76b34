import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources (the `stargate-source`
// export condition), so a change in contracts/ is seen without a rebuild.
// No `module` condition: Node itself never uses it, and packages such as @opentelemetry/*
// publish `module` builds that only bundlers can load.
const conditions = ['stargate-source', 'import', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['*/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores and shared real services; each file isolates itself by prefix/vhost/db/namespace.
    pool: 'forks',
    maxWorkers: 3,
  },
});
