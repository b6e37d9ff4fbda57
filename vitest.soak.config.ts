import { defineConfig } from 'vitest/config';

/**
 * `npm run test:soak`: many tenants over a bounded stretch of accelerated time with changes,
 * faults and worker restarts (test/soak/soak.soak.ts), kept out of `npm test` by its file name
 * (`*.soak.ts`). Same dev stack as the normal suite; it ends by itself.
 */
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
    teardownTimeout: 30_000,
  },
});
