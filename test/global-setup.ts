/**
 * Starts one Temporal dev server for the whole test run (the expensive server) and bundles the journey
 * workflows once. Each test file starts its own cheap servers (NATS, SMTP capture, fake Twilio) and
 * uses its own task queue, so files run in parallel without seeing each other's journeys.
 */
import type { TestProject } from 'vitest/node';
import { startTemporal } from '../dev/servers/temporal';
import { bundleJourneyWorkflows } from '../workflows/worker';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundleCode: string;
  }
}

export default async function setup(project: TestProject) {
  const [temporal, bundle] = await Promise.all([startTemporal({ uiPort: null }), bundleJourneyWorkflows()]);
  project.provide('temporalAddress', temporal.address);
  project.provide('workflowBundleCode', bundle.code);
  return async () => {
    await temporal.stop();
  };
}
