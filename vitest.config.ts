import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Without the alias vitest can load a second copy of graphql ("another module or realm").
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/console-build.ts', 'tests/support/pglite-template.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: a single file at a time on a two-core
    // machine. Most files spend their time waiting on processes, sockets and PostgreSQL (a whole CI
    // run keeps two cores only about 60% busy with two files at once), so three at once.
    maxWorkers: 3,
    reporters: ['default'],
  },
});
