/**
 * The journey worker: registers the journey workflow and the activities built from real connectors.
 * Callers may pass a pre-built workflow bundle (tests and the demo bundle once and reuse it).
 */
import { createRequire } from 'node:module';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundle, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ConnectorSet } from '../connectors/channels';
import { createActivities, type ActivityDeps } from './activities/create-activities';
import { createJourneyEndedActivities, type JourneyEndedNotice } from './activities/journey-ended';

const require = createRequire(import.meta.url);
export const WORKFLOWS_PATH = require.resolve('./index.ts');

export async function bundleJourneyWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? '') , log: noop } as never;

export interface WorkerOptions {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  connectors: ConnectorSet;
  activityDeps: Omit<ActivityDeps, 'connectors'>;
  /** Delivers a journey's end to its person's partition (the engine then lets the person re-enter). */
  announceJourneyEnded: (notice: JourneyEndedNotice) => Promise<void>;
  workflowBundle?: WorkflowBundle;
}

export interface WorkerHandle {
  worker: Worker;
  /** Resolves when the worker has shut down. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: { ...createActivities({ ...options.activityDeps, connectors: options.connectors }), ...createJourneyEndedActivities(options.announceJourneyEnded) },
  });
  const done = worker.run().finally(() => connection.close());
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
