/**
 * Three tiers (test/ARCHITECTURE.md), by file name:
 * - unit: `*.test.ts` beside the code — no servers, no sockets, no child processes (test/tiers/unit-guard.ts
 *   fails a test that tries); the whole tier takes seconds (`npm run test:unit`).
 * - integration: `*.int.test.ts` — each file starts its own NATS or local fakes (SMTP capture, fake
 *   Twilio, webhook receiver) or runs the CLI; no Temporal.
 * - e2e: `test/e2e/**` and `*.e2e.test.ts` — on the one Temporal dev server test/global-setup.ts starts.
 * `npm test` runs all three.
 */
import { defineConfig } from 'vitest/config';

const NOT_TESTS = ['**/node_modules/**', '.nudge/**'];
const E2E = ['test/e2e/**/*.test.ts', '**/*.e2e.test.ts'];
const INTEGRATION = ['**/*.int.test.ts'];

export default defineConfig({
  test: {
    exclude: NOT_TESTS,
    // Temporal's native worker does not load in worker threads; forks isolate it per file.
    pool: 'forks',
    // Most test time is spent waiting on servers and timers, not CPU: run more files than cores.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Pure code needs no process of its own per file: threads that keep their module cache
          // between files make the tier take seconds instead of a minute (most of it was importing the
          // same modules again). The price: a unit test leaves no global state behind.
          pool: 'threads',
          isolate: false,
          include: ['**/*.test.ts'],
          exclude: [...NOT_TESTS, ...INTEGRATION, ...E2E],
          setupFiles: ['test/tiers/unit-guard.ts'],
          // Nothing in a unit test waits on a server: a slow one is a bug, not a timeout to raise.
          testTimeout: 20_000,
          hookTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
          exclude: [...NOT_TESTS, ...E2E],
          globalSetup: ['test/tiers/integration-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: E2E,
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
