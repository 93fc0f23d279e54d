/**
 * nudge on a NATS cluster, for fault tests: an N-node cluster (dev/servers/nats-cluster.ts), SMTP
 * capture, the shared Temporal server, the engine and a worker on a task queue of its own. Unlike
 * stack.ts it exposes only what survives a node failure: the test's own connection lists every node
 * and reconnects for ever, and `publish` retries until JetStream confirms the event.
 *
 * It uses the engine only through its public entry points (startEngine with onOutcome,
 * startWorkerService, publishEvent, StateStore), so it keeps working while the hot path is rewritten.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Client } from '@temporalio/client';
import { connectTemporalClient } from '../../platform/temporal/temporal-connection';
import { inject } from 'vitest';
import { startSmtpCapture, type SmtpCapture } from '../../dev/capture/smtp-capture';
import { startNatsCluster, type NatsClusterHandle } from '../../dev/servers/nats-cluster';
import { loadConfig, type Config } from '../../platform/config';
import { startEngine, type EngineHandle } from '../../engine/engine-service';
import type { EventEnvelope } from '../../engine/events/envelope';
import { publishEvent } from '../../platform/nats/publisher';
import { createLogger } from '../../platform/logger';
import { openBucket, USERS_BUCKET } from '../../platform/nats/setup';
import { StateStore } from '../../platform/stores/state-store';
import { startWorkerService, type WorkerServiceHandle } from '../../workflows/worker-service';
import { eventually } from './poll';

/** The engine's client name (startEngine connects as "nudge-engine"): where to find it in /connz. */
export const ENGINE_CLIENT = 'nudge-engine';

export interface AppliedEvent {
  userKey: string;
  /** When the engine reported the event applied (Date.now()). */
  at: number;
}

export interface PublishReceipt {
  /** First attempt and confirmation (Date.now()); attempts > 1 means it was retried. */
  startedAt: number;
  confirmedAt: number;
  attempts: number;
}

export interface ClusterStack {
  cluster: NatsClusterHandle;
  config: Config;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  smtp: SmtpCapture;
  temporal: Client;
  engine: EngineHandle;
  worker: WorkerServiceHandle;
  /** Events the engine applied (redeliveries it recognised, merges and forwards left out), in order. */
  applied: AppliedEvent[];
  /**
   * Events the engine recognised as already applied: a batch whose states were saved but whose
   * checkpoint write was cut off by the node's death is replayed, and its events are applied once (the
   * state says so) but reported only as these, so `applied` misses them.
   */
  replayed: { count: number };
  deadLetters: string[];
  states: StateStore;
  /** The node the engine connected to; the test's own connection is pinned to it too, so its death hits both. */
  engineNode: number;
  /** Moves a stream's leadership to a node (best effort: false when it did not move within 5 s). */
  leadOn(stream: string, node: number): Promise<boolean>;
  /** Publishes to the raw stream, retrying on any error (same messageId, so a stored event is a duplicate). */
  publish(event: EventEnvelope, deadline: number): Promise<PublishReceipt | null>;
  stop(): Promise<void>;
}

export async function startClusterStack(options: { rules: string; tags: string; replicas?: number; env?: Record<string, string> }): Promise<ClusterStack> {
  const [cluster, smtp] = await Promise.all([startNatsCluster({ size: 3 }), startSmtpCapture()]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: cluster.urls,
    NUDGE_REPLICAS: String(options.replicas ?? 3),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    NUDGE_TASK_QUEUE: `test-${randomUUID()}`,
    NUDGE_RULES_DIR: options.rules,
    NUDGE_TAGS_DIR: options.tags,
    NUDGE_PARTITIONS: '4',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    // Never called (no SMS step), but the worker builds every channel's connector at start.
    TWILIO_API_BASE: 'http://127.0.0.1:9',
    LOG_LEVEL: 'error',
    ...options.env,
  };
  const config = loadConfig(env);
  const log = createLogger('cluster-test', config.LOG_LEVEL);
  const applied: AppliedEvent[] = [];
  const replayed = { count: 0 };
  const deadLetters: string[] = [];
  const engine = await startEngine({
    config, log,
    onOutcome: (o) => {
      // Events only: a journey's "ended" notice is an outcome too, and would shift the per-person order.
      if (o.kind !== 'event' || o.forwardedTo) return;
      if (o.duplicate) replayed.count++;
      else applied.push({ userKey: o.userKey, at: Date.now() });
    },
    onDeadLetter: (reason) => deadLetters.push(reason),
  });
  const worker = await startWorkerService(config, env, { log, workflowBundle: { code: inject('workflowBundleCode') } });
  const engineNode = await eventually(async () => {
    const node = await cluster.nodeOfClient(ENGINE_CLIENT);
    return node >= 0 ? node : undefined;
  }, 10_000, 'the engine\'s connection in /connz');
  const urls = cluster.nodes.map((n) => n.url);
  const nc = await connect({ servers: [urls[engineNode]!, ...urls.filter((_, i) => i !== engineNode)], noRandomize: true, name: 'cluster-test', maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  // A short publish timeout: an ack lost in a failover is retried sooner than the 5 s default.
  const js = jetstream(nc, { timeout: 2000 });
  const jsm = await jetstreamManager(nc);
  const states = new StateStore(await openBucket(nc, USERS_BUCKET, { replicas: config.NUDGE_REPLICAS }));
  const { connection, client: temporal } = await connectTemporalClient(config);

  return {
    cluster, config, nc, js, jsm, smtp, temporal, engine, worker, applied, replayed, deadLetters, states, engineNode,
    async leadOn(stream, node) {
      const name = cluster.nodes[node]?.name;
      const leader = async () => (await jsm.streams.info(stream)).cluster?.leader;
      if ((await leader()) === name) return true;
      // A step-down naming a preferred successor (nats-server 2.11+); the API is not wrapped by nats.js.
      await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, JSON.stringify({ placement: { preferred: name } }), { timeout: 2000 }).catch(() => undefined);
      return eventually(async () => ((await leader()) === name ? true : undefined), 5_000, `${stream} led by ${name}`).catch(() => false);
    },
    async publish(event, deadline) {
      const startedAt = Date.now();
      for (let attempts = 1; Date.now() < deadline; attempts++) {
        try {
          await publishEvent(js, event); // 'duplicate' is confirmation too: an earlier attempt was stored
          return { startedAt, confirmedAt: Date.now(), attempts };
        } catch {
          await sleep(Math.min(100 * attempts, 1000));
        }
      }
      return null;
    },
    async stop() {
      await engine.stop();
      await worker.stop();
      await connection.close();
      await nc.close();
      await Promise.all([cluster.stop(), smtp.stop()]);
    },
  };
}
