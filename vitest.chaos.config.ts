import { defineConfig } from 'vitest/config';

/**
 * `npm run test:chaos`: the full exactly-once chaos run (1,000 invoices, worker killed twice),
 * kept out of `npm test` by its file name (`*.chaos.ts`). Same dev stack as the normal suite.
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    testTimeout: 2_400_000,
    hookTimeout: 2_400_000,
    teardownTimeout: 30_000,
  },
});
