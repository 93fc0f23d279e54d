/**
 * The worker process composition: connect NATS, open the buckets the activities use, build the
 * connectors chosen by configuration (validated at startup), and run the journey worker.
 */
import { connect } from '@nats-io/transport-node';
import { natsConnectOptions } from '../platform/nats/connect-options';
import type { WorkflowBundle } from '@temporalio/worker';
import type { ConnectorSet } from '../connectors/channels';
import { closeConnectors, createConnectorsFromEnv } from '../connectors/registry';
import type { Config } from '../platform/config';
import { createLogger, type Logger } from '../platform/logger';
import { unsubscribeHeaders } from '../engine/inbound/unsubscribe-links';
import { messageTracking } from '../engine/inbound/tracking-links';
import { CAPS_BUCKET, openBucket, SENDS_BUCKET, USERS_BUCKET } from '../platform/nats/setup';
import { StateStore } from '../platform/stores/state-store';
import { jetstream } from '@nats-io/jetstream';
import { publishJourneyEnded } from '../engine/ingest/nats-handoff';
import { openWorkerRules } from './worker-rules';
import { serveMetrics } from '../platform/metrics';
import { ensureJourneyEventStream, publishJourneyEvents } from '../platform/nats/journey-event-stream';
import { DeliveryMetrics } from './activities/delivery-metrics';
import { KvCapStore } from './activities/frequency-caps';
import { SendLedger } from './activities/send-ledger';
import { installTemporalRuntime } from '../platform/temporal/temporal-runtime';
import { startWorker } from './worker';
import { throttledQueuesOf } from './journey/send-queues';

export interface WorkerServiceHandle {
  connectors: ConnectorSet;
  metrics: DeliveryMetrics;
  stop(): Promise<void>;
}

export async function startWorkerService(config: Config, env: NodeJS.ProcessEnv, options: { workflowBundle?: WorkflowBundle; log?: Logger } = {}): Promise<WorkerServiceHandle> {
  const log = options.log ?? createLogger('nudge-worker', config.LOG_LEVEL);
  installTemporalRuntime(log);
  // Long-running: a NATS restart or failover of any length is waited out (activities retry meanwhile).
  const nc = await connect({ ...natsConnectOptions(config, 'nudge-worker'), maxReconnectAttempts: -1, reconnectTimeWait: 1000, noAsyncTraces: true });
  let following: { stop(): Promise<void> } | undefined;
  try {
    const js = jetstream(nc);
    const throttledQueues = () => throttledQueuesOf(rules.follower.current().value.throttles, config.NUDGE_THROTTLE, config.NUDGE_TASK_QUEUE);
    // Tags and coupon pools: the rule files, or the deployed revision (NUDGE_RULES_SOURCE=kv), followed.
    const rules = await openWorkerRules(config, nc, log);
    const state = new StateStore(await openBucket(nc, USERS_BUCKET, { replicas: config.NUDGE_REPLICAS }));
    const ledger = new SendLedger(await openBucket(nc, SENDS_BUCKET, { replicas: config.NUDGE_REPLICAS }));
    const connectors = await createConnectorsFromEnv(env, { nc });
    following = rules.start(connectors);
    const metrics = new DeliveryMetrics();
    // The worker writes the journey event log; the stream may not exist yet if no engine ran before it.
    await ensureJourneyEventStream(nc, { replicas: config.NUDGE_REPLICAS });
    const metricsServer = config.NUDGE_WORKER_METRICS_PORT ? await serveMetrics(metrics.registry, config.NUDGE_WORKER_METRICS_PORT) : null;
    const worker = await startWorker({
      temporal: config,
      taskQueue: config.NUDGE_TASK_QUEUE,
      connectors,
      announceJourneyEnded: (notice) => publishJourneyEnded(js, config.NUDGE_PARTITIONS, notice),
      throttledQueues: throttledQueues(),
      journeyEvents: { write: (records) => publishJourneyEvents(js, records) },
      activityDeps: {
        ledger,
        // Follows merges: a journey of a merged-away id reads (and caps) the live person.
        loadUserState: async (userKey) => (await state.loadResolved(userKey)).state,
        caps: new KvCapStore(await openBucket(nc, CAPS_BUCKET, { replicas: config.NUDGE_REPLICAS })),
        consentMode: config.NUDGE_CONSENT_MODE,
        metrics,
        tags: rules.tags,
        tracking: messageTracking({ baseUrl: config.NUDGE_PUBLIC_URL, secret: config.NUDGE_TRACKING_SECRET }),
        unsubscribeHeaders: (userId, topic) => ({
          ...unsubscribeHeaders({ userId, topic }, { baseUrl: config.NUDGE_PUBLIC_URL, mailto: config.NUDGE_UNSUBSCRIBE_MAILTO, secret: config.NUDGE_UNSUBSCRIBE_SECRET }),
        }),
      },
      ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
    });
    // A deployed rule set naming a new rate gets its queue served before its journeys send.
    rules.follower.onSwap(() => void worker.throttled.serve(throttledQueues()).catch((error: unknown) => log.error({ err: (error as Error).message }, 'could not serve a throttled send queue')));
    log.info({ taskQueue: config.NUDGE_TASK_QUEUE, rulesRevision: rules.follower.current().revision, tags: rules.tags.names }, 'worker started');
    return {
      connectors,
      metrics,
      async stop() {
        metricsServer?.close();
        await worker.stop();
        await following?.stop();
        await closeConnectors(connectors);
        await nc.drain().catch(() => undefined);
        log.info('worker stopped');
      },
    };
  } catch (error) {
    await following?.stop();
    await nc.close();
    throw error;
  }
}
