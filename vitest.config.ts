import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.nudge/**'],
    // Temporal's native worker does not load in worker threads; forks isolate it per file.
    pool: 'forks',
    // Most test time is spent waiting on servers and timers, not CPU: run more files than cores.
    maxWorkers: 4,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
