import { defineConfig } from 'vitest/config';

/**
 * `npm run test:unit`: the unit tests of the pure cores, in seconds and without servers (no
 * global setup). `npm test` runs them too, beside the integration suite.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/sync/unit/**/*.test.ts'],
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  },
});
