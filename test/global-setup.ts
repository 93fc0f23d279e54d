/**
 * Starts one Temporal dev server for the whole test run (the expensive server) and bundles the journey
 * workflows once. Each test file starts its own cheap servers (NATS, SMTP capture, fake Twilio) and
 * uses its own task queue, so files run in parallel without seeing each other's journeys.
 */
import { randomUUID } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { startTemporal } from '../dev/servers/temporal';
import { bundleJourneyWorkflows } from '../workflows/worker';
import { reapLeftoverServers, RUN_MARKER } from './support/leftover-servers';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundleCode: string;
  }
}

export default async function setup(project: TestProject) {
  // Inherited by the test files' processes and every server they spawn: how leftovers are recognised.
  const runId = (process.env[RUN_MARKER] = randomUUID());
  const [temporal, bundle] = await Promise.all([startTemporal({ uiPort: null }), bundleJourneyWorkflows()]);
  project.provide('temporalAddress', temporal.address);
  project.provide('workflowBundleCode', bundle.code);
  return async () => {
    await temporal.stop();
    // Every server this run started must be gone by now, also those of a test file that crashed.
    const leftovers = await reapLeftoverServers(runId);
    if (leftovers.length > 0) {
      // vitest reports an error thrown here but still exits 0, so the exit code is set as well.
      process.exitCode = 1;
      console.error(`servers started by this test run were still running after it (now killed):\n${leftovers.map((l) => `  ${l.server} (pid ${l.pid}): ${l.command}`).join('\n')}`);
    }
  };
}
