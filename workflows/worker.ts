/**
 * The journey worker: registers the journey workflow and the activities built from real connectors.
 * Callers may pass a pre-built workflow bundle (tests and the demo bundle once and reuse it).
 */
import { createRequire } from 'node:module';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundle, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ConnectorSet } from '../connectors/channels';
import { FAILURE_CONVERTER_PATH, temporalConnectOptions, temporalDataConverter, type TemporalConfig } from '../platform/temporal/temporal-connection';
import { createActivities, type ActivityDeps } from './activities/create-activities';
import { createJourneyEndedActivities, type JourneyEndedNotice } from './activities/journey-ended';
import type { ThrottledQueue } from './journey/send-queues';
import { throttledWorkers, type ThrottledWorkers } from './throttled-workers';
import { createJourneyEventLogActivities, type JourneyEventWriter } from './activities/journey-event-log';

const require = createRequire(import.meta.url);
export const WORKFLOWS_PATH = require.resolve('./index.ts');

export async function bundleJourneyWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  // The failure converter runs inside the sandbox too (it turns errors into failures), so it is bundled.
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, failureConverterPath: FAILURE_CONVERTER_PATH, logger: quietBundlerLogger });
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? '') , log: noop } as never;

export interface WorkerOptions {
  /** Address, namespace, TLS, API key and payload keys (temporal-connection.ts). */
  temporal: TemporalConfig;
  taskQueue: string;
  connectors: ConnectorSet;
  activityDeps: Omit<ActivityDeps, 'connectors'>;
  /** Delivers a journey's end to its person's partition (the engine then lets the person re-enter). */
  announceJourneyEnded: (notice: JourneyEndedNotice) => Promise<void>;
  /** Throttled send queues to serve besides the task queue (audience journeys; journey/send-queues.ts). */
  throttledQueues?: readonly ThrottledQueue[];
  /** Writes the journey event log (platform/nats/journey-event-stream.ts; tests: MemoryJourneyEventLog). */
  journeyEvents: JourneyEventWriter;
  workflowBundle?: WorkflowBundle;
}

export interface WorkerHandle {
  worker: Worker;
  /** Resolves when the worker has shut down. */
  done: Promise<void>;
  /** The throttled send queues' workers (more are added when a rule set names a new rate). */
  throttled: ThrottledWorkers;
  stop(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const connection = await NativeConnection.connect(temporalConnectOptions(options.temporal));
  const worker = await Worker.create({
    connection,
    namespace: options.temporal.TEMPORAL_NAMESPACE,
    // Payloads are encrypted in this (main) thread, never in the sandbox: the codec is not bundled.
    dataConverter: temporalDataConverter(options.temporal),
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: {
      ...createActivities({ ...options.activityDeps, connectors: options.connectors }),
      ...createJourneyEndedActivities(options.announceJourneyEnded),
      ...createJourneyEventLogActivities({ writer: options.journeyEvents, ...(options.activityDeps.metrics ? { metrics: options.activityDeps.metrics } : {}), ...(options.activityDeps.clock ? { clock: options.activityDeps.clock } : {}) }),
    },
  });
  // Sends only: a throttled queue runs performStep, under its rate, with the same connectors and ledger.
  const throttled = throttledWorkers({ connection, namespace: options.temporal.TEMPORAL_NAMESPACE, dataConverter: temporalDataConverter(options.temporal) }, createActivities({ ...options.activityDeps, connectors: options.connectors }));
  await throttled.serve(options.throttledQueues ?? []);
  // The throttled workers live as long as the main one; the connection closes after all of them.
  const done = worker.run().finally(async () => {
    await throttled.stop();
    await connection.close();
  });
  return {
    worker,
    done,
    throttled,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

