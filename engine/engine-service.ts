/**
 * The engine process: loads and validates the rule set (refusing to start on an invalid one), makes
 * sure streams and buckets exist, joins the other engines (ownership/: leases decide which engine runs
 * which partition and the identity resolver) and runs the partition loops it is given until stopped.
 */
import { randomUUID } from 'node:crypto';
import { natsConnectOptions } from '../platform/nats/connect-options';
import { hostname } from 'node:os';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Connection } from '@temporalio/client';
import { connectTemporalClient } from '../platform/temporal/temporal-connection';
import type { LoadedRule } from '../rules/load-rules';
import type { LoadedTag } from '../rules/load-tags';
import { globalGuardrails, identifierTypesOf, loadConfig, ownedPartitions, waitScaleOf, type Config } from '../platform/config';
import { EngineHealth } from './engine-health';
import { EVENTS_STREAM, consumerName } from './events/subjects';
import { CachedIdentityStore } from './identity/cached-identity-store';
import { IdentityResolver } from './identity/identity-resolver';
import { IDENTITY_BUCKET, KvIdentityStore } from './identity/identity-store';
import { runResolverLoop } from './identity/resolver-loop';
import { PhoneDirectory } from './inbound/phone-directory';
import type { EventOutcome } from './decide/decide';
import { natsHandoff } from './ingest/nats-handoff';
import { NatsAbsenceTimers } from '../platform/nats/absence-timers';
import { runPartitionLoop, type PartitionLoopContext } from './ingest/partition-loop';
import { keepConsuming } from './keep-consuming';
import { createLogger, type Logger } from '../platform/logger';
import { EngineMetrics } from '../platform/metrics';
import { ensureStreams, openBucket, USERS_BUCKET } from '../platform/nats/setup';
import { CheckpointStore, RESOLVER_TASK } from './ownership/checkpoints';
import { LeaseStore } from './ownership/lease-store';
import { Ownership, type TaskRunner } from './ownership/ownership';
import { engineRulesFromFiles, openEngineRules, refusalReason, registerRuleSetMetrics, startRuleLifecycle } from './rules-registry/engine-rules';
import { StateStore } from '../platform/stores/state-store';
import { runAudienceScheduler } from './audience/audience-scheduler';
import { RunRecords } from './audience/run-records';
import { TemporalJourneyStarter } from '../platform/temporal/journey-starter';

export interface EngineHandle {
  /** The rule set running now (it changes when a revision is deployed, with NUDGE_RULES_SOURCE=kv). */
  readonly rules: LoadedRule[];
  readonly tags: LoadedTag[];
  /** The deployed revision running now; null: the rule files. */
  rulesRevision(): number | null;
  metrics: EngineMetrics;
  /** This process in the lease bucket (host-pid-random). */
  engineId: string;
  /** Partitions this engine owns right now (they move between engines). */
  partitions(): number[];
  /** Whether this engine runs the identity resolver right now. */
  runsResolver(): boolean;
  health: EngineHealth;
  stop(): Promise<void>;
}

export interface EngineOptions {
  config?: Config;
  log?: Logger;
  onOutcome?: (outcome: EventOutcome) => void;
  onDeadLetter?: (reason: string) => void;
}

export async function startEngine(options: EngineOptions = {}): Promise<EngineHandle> {
  const config = options.config ?? loadConfig();
  const log = options.log ?? createLogger('nudge-engine', config.LOG_LEVEL);
  // Rule files are checked before connecting anywhere, so an invalid one fails the start at once.
  const fromFiles = config.NUDGE_RULES_SOURCE === 'files' ? engineRulesFromFiles(config) : null;
  const staticPartitions = ownedPartitions(config.NUDGE_OWNED_PARTITIONS, config.NUDGE_PARTITIONS);
  const replicas = { replicas: config.NUDGE_REPLICAS };

  // Long-running: a NATS restart or failover of any length is waited out, and consuming resumes.
  // noAsyncTraces: nats.js would otherwise build an Error (a stack trace) for every request — every KV
  // read and write and every publish — which the profile showed at ~9% of the engine's CPU.
  const nc: NatsConnection = await connect({ ...natsConnectOptions(config, 'nudge-engine'), maxReconnectAttempts: -1, reconnectTimeWait: 1000, noAsyncTraces: true });
  const { connection, client } = await connectTemporalClient(config).catch(async (error: unknown) => {
    await nc.close();
    throw error;
  });
  const ruleSet = await openEngineRules(config, nc, log, fromFiles).catch(async (error) => {
    await nc.close();
    await connection.close();
    throw error;
  });
  const jsm = await ensureStreams(nc, { partitions: config.NUDGE_PARTITIONS, duplicateWindowMs: config.NUDGE_DUPLICATE_WINDOW, replicas: config.NUDGE_REPLICAS });
  const state = new StateStore(await openBucket(nc, USERS_BUCKET, replicas), { jsm, bucket: USERS_BUCKET });
  const checkpoints = await CheckpointStore.open(nc, config.NUDGE_REPLICAS);
  const leases = await LeaseStore.open(nc, config.NUDGE_LEASE_TTL, config.NUDGE_REPLICAS);
  const js = jetstream(nc);
  const journeys = new TemporalJourneyStarter(client, config.NUDGE_TASK_QUEUE);
  const handoff = natsHandoff(js, config.NUDGE_PARTITIONS);
  const phones = await PhoneDirectory.open(nc, config.NUDGE_PHONE_REGION, replicas);
  const engineId = `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}-${randomUUID().slice(0, 8)}`;

  const metrics = new EngineMetrics();
  const health = new EngineHealth(metrics.registry, jsm, Math.max(60_000, config.NUDGE_LEASE_TTL * 3));
  registerRuleSetMetrics(metrics.registry, ruleSet.follower);
  health.rulesProblem = () => refusalReason(ruleSet.follower);
  const metricsServer = config.NUDGE_METRICS_PORT ? await metrics.serve(config.NUDGE_METRICS_PORT, () => health.health()) : null;
  const watching = watchConnections(nc, connection, health);
  const onDeadLetter = (reason: string) => {
    metrics.recordDeadLetter(reason);
    options.onDeadLetter?.(reason);
  };

  let ownership: Ownership | null = null;
  const partitionCtx: PartitionLoopContext = {
    js,
    decide: { rules: ruleSet.follower.current().value.index, waitScale: waitScaleOf(config), guardrails: globalGuardrails(config), withLeaves: false },
    ruleSet: () => ruleSet.follower.current().value.index,
    ports: { state, journeys, handoff, phones, absenceTimers: new NatsAbsenceTimers(js, config.NUDGE_PARTITIONS), concurrency: config.NUDGE_CONCURRENCY },
    checkpoints,
    // Migration: a partition consumed before checkpoints existed resumes after its durable consumer's ack floor.
    initialSeq: async (p) => (await jsm.consumers.info(EVENTS_STREAM, consumerName(p)).catch(() => null))?.ack_floor.stream_seq ?? 0,
    owner: engineId,
    owns: (task) => ownership?.owns(task) ?? false,
    partitionCount: config.NUDGE_PARTITIONS,
    cacheCapacity: config.NUDGE_STATE_CACHE,
    maxBatch: config.NUDGE_BATCH_SIZE,
    log,
    onOutcome: (outcome) => {
      metrics.recordOutcome(outcome);
      options.onOutcome?.(outcome);
    },
    onDeadLetter,
    onJourneyEnded: () => metrics.recordJourneyEnded(),
    onCommitted: (partition, info) => {
      health.committed(partition, info.lastSeq);
      metrics.recordCommit(info.messages, { hits: info.cacheHits, misses: info.cacheMisses, cached: info.cached }, partition);
    },
    onReader: (partition, reader) => health.setReader(partition, reader),
  };

  let resolverLoop: ((stop: AbortSignal) => Promise<void>) | null = null;
  const resolverRun = async (stop: AbortSignal) => {
    if (!resolverLoop) {
      const store = new CachedIdentityStore(new KvIdentityStore(await openBucket(nc, IDENTITY_BUCKET, replicas)));
      const resolver = new IdentityResolver(store, identifierTypesOf(config));
      resolverLoop = (signal) =>
        runResolverLoop({ js, resolver, store, partitions: config.NUDGE_PARTITIONS, log, checkpoints, owner: engineId, owns: () => ownership?.owns(RESOLVER_TASK) ?? false, onResolved: (plan) => metrics.recordResolution(plan), onDeadLetter }, signal);
    }
    await resolverLoop(stop);
  };

  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const runner: TaskRunner = {
    start(task) {
      const controller = new AbortController();
      const run = task === RESOLVER_TASK ? () => resolverRun(controller.signal) : () => runPartitionLoop(partitionCtx, Number(task.slice(2)), controller.signal);
      running.set(task, { controller, done: keepConsuming(task === RESOLVER_TASK ? 'identity resolver' : `partition ${task.slice(2)}`, run, controller.signal, log) });
    },
    async stop(task) {
      const task_ = running.get(task);
      if (!task_) return;
      task_.controller.abort();
      await task_.done;
      running.delete(task);
    },
    abandon(task) {
      running.get(task)?.controller.abort();
      running.delete(task);
    },
  };
  ownership = new Ownership({ leases, engineId, fingerprint: ruleSet.follower.current().value.fingerprint, ...(ruleSet.followsDeployedRules ? { followsDeployedRules: { revision: ruleSet.follower.current().revision } } : {}), partitionCount: config.NUDGE_PARTITIONS, staticPartitions, resolver: config.NUDGE_RESOLVER, runner, log });
  try {
    await ownership.start();
  } catch (error) {
    metricsServer?.close();
    watching.stop();
    await nc.close();
    await connection.close();
    throw error;
  }
  const lifecycle = startRuleLifecycle(ruleSet, ownership, { client, taskQueue: config.NUDGE_TASK_QUEUE, log });
  const owned = () => ownership!.tasks().filter((t) => t !== RESOLVER_TASK).map((t) => Number(t.slice(2))).sort((a, b) => a - b);
  // Scheduled audiences: this engine runs them for the partitions it owns (engine/audience/).
  const audiences = new AbortController();
  const audienceRecords = await RunRecords.open(nc, config.NUDGE_REPLICAS);
  const scheduling = runAudienceScheduler({ js, stateBucket: USERS_BUCKET, records: audienceRecords, rules: () => ruleSet.follower.current().value.index, owned, partitionCount: config.NUDGE_PARTITIONS, defaultZone: config.NUDGE_DEFAULT_TIMEZONE, owner: engineId, now: Date.now, log }, config.NUDGE_AUDIENCE_TICK, audiences.signal);
  const { rules, tags } = ruleSet.follower.current().value;
  log.info({ engineId, rulesRevision: ruleSet.follower.current().revision, rules: rules.map((r) => `${r.rule.id}@${r.rule.version}`), tags: tags.map((t) => t.tag.name), partitions: owned(), resolver: ownership.owns(RESOLVER_TASK) }, 'engine started');

  return {
    get rules() {
      return ruleSet.follower.current().value.rules;
    },
    get tags() {
      return ruleSet.follower.current().value.tags;
    },
    rulesRevision: () => ruleSet.follower.current().revision,
    metrics,
    engineId,
    health,
    partitions: owned,
    runsResolver: () => ownership!.owns(RESOLVER_TASK),
    async stop() {
      audiences.abort();
      await scheduling;
      await lifecycle.stop();
      await ownership!.stop();
      await Promise.allSettled([...running.values()].map((r) => r.done));
      metricsServer?.close();
      watching.stop();
      await nc.drain().catch(() => undefined);
      await connection.close();
      log.info('engine stopped');
    },
  };
}

/** Keeps the health flags current: NATS connection status events, and a Temporal call every few seconds. */
function watchConnections(nc: NatsConnection, connection: Connection, health: EngineHealth): { stop(): void } {
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') health.natsConnected = false;
      if (status.type === 'reconnect') health.natsConnected = true;
    }
  })().catch(() => undefined);
  const timer = setInterval(() => {
    connection.workflowService.getSystemInfo({}).then(() => (health.temporalReachable = true), () => (health.temporalReachable = false));
  }, 5000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
