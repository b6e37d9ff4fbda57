import { defineConfig } from 'vitest/config';

/**
 * `npm run test:unit`: every server-free test, by name (`*.unit.test.ts`), without the global
 * setup's Temporal and MongoDB-wire servers (a test may start the simulator in-process). `npm
 * test` runs them too, beside the integration suite.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.unit.test.ts'],
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  },
});
