import { defineConfig } from 'vitest/config';

/**
 * The fault suite (`npm run test:faults`): real processes, a private PostgreSQL paused and
 * restarted, processes killed, a fake Kubernetes API misbehaving, webhook receivers down for a
 * long stretch. Slower than `npm test`, so apart; `.ci/run` runs both.
 */
export default defineConfig({
  // Without the alias vitest can load a second copy of graphql ("another module or realm").
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['tests/faults/**/*.fault.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One fault at a time: each loads the machine, and timing is part of what they probe.
    fileParallelism: false,
    reporters: ['default'],
  },
});
