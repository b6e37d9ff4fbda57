import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts one Temporal dev server + MongoDB-wire server per run (see src/devstack).
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    pool: 'forks',
    // The tests mostly wait (on servers, timers, Temporal): three files at a time on a 2-core
    // machine, where vitest's default (cores - 1) would run them one by one.
    maxWorkers: 3,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
