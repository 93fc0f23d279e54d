/**
 * The end-to-end tier's global setup: one Temporal dev server for the whole run (the expensive server)
 * and the journey workflows bundled once. Each test file starts its own cheap servers (NATS, SMTP
 * capture, fake Twilio) and uses its own task queue, so files run in parallel without seeing each
 * other's journeys. At the end, the run fails if a server it started is still running (server-run.ts).
 */
import type { TestProject } from 'vitest/node';
import { startTemporal } from '../dev/servers/temporal';
import { bundleJourneyWorkflows } from '../workflows/worker';
import { joinServerRun } from './support/server-run';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundleCode: string;
  }
}

export default async function setup(project: TestProject) {
  // Before any server starts: the run id is how leftovers are recognised.
  const run = joinServerRun();
  const [temporal, bundle] = await Promise.all([startTemporal({ uiPort: null }), bundleJourneyWorkflows()]);
  project.provide('temporalAddress', temporal.address);
  project.provide('workflowBundleCode', bundle.code);
  return async () => {
    await temporal.stop();
    await run.leave();
  };
}
