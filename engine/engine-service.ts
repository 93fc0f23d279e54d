/**
 * The engine process: loads and validates the rule set (refusing to start on an invalid one), makes
 * sure streams, consumers and buckets exist, and consumes its partitions until stopped.
 */
import { setMaxListeners } from 'node:events';
import type { CountryCode } from 'libphonenumber-js';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client, Connection } from '@temporalio/client';
import { loadRuleSet } from '../rules/load-rule-set';
import type { LoadedRule } from '../rules/load-rules';
import type { LoadedTag } from '../rules/load-tags';
import { globalGuardrails, loadConfig, ownedPartitions, pathsOf, waitScaleOf, type Config } from './config';
import { consumePartition, ensurePartitionConsumer } from './ingest/partition-consumer';
import { keepConsuming } from './keep-consuming';
import { EventProcessor, type EventOutcome } from './ingest/process-event';
import { createLogger, type Logger } from './logger';
import { EngineMetrics } from './metrics';
import { RuleIndex } from './match/rule-index';
import { PhoneDirectory } from './inbound/phone-directory';
import { ensureStreams, openBucket, USERS_BUCKET } from './nats/setup';
import { StateStore } from './state/state-store';
import { identifierTypesOf } from './config';
import { IdentityResolver } from './identity/identity-resolver';
import { IDENTITY_BUCKET, KvIdentityStore } from './identity/identity-store';
import { CachedIdentityStore } from './identity/cached-identity-store';
import { consumeRawEvents, ensureResolverConsumer } from './identity/resolver-consumer';
import { PersonMerger } from './ingest/merge-people';
import { natsHandoff } from './ingest/nats-handoff';
import { TemporalJourneyStarter } from './trigger/journey-starter';

export interface EngineHandle {
  rules: LoadedRule[];
  tags: LoadedTag[];
  metrics: EngineMetrics;
  partitions: number[];
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
  const { rules, tags } = loadRuleSet(pathsOf(config.NUDGE_RULES_DIR), pathsOf(config.NUDGE_TAGS_DIR));
  const index = new RuleIndex(rules, tags);
  const partitions = ownedPartitions(config.NUDGE_OWNED_PARTITIONS, config.NUDGE_PARTITIONS);

  // Long-running: a NATS restart or failover of any length is waited out, and consuming resumes.
  const nc: NatsConnection = await connect({ servers: config.NATS_URL.split(','), name: 'nudge-engine', maxReconnectAttempts: -1, reconnectTimeWait: 1000 });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS }).catch(async (error) => {
    await nc.close();
    throw new Error(`cannot reach Temporal at ${config.TEMPORAL_ADDRESS}: ${(error as Error).message}`);
  });
  const jsm = await ensureStreams(nc, { partitions: config.NUDGE_PARTITIONS, duplicateWindowMs: config.NUDGE_DUPLICATE_WINDOW });
  for (const p of partitions) await ensurePartitionConsumer(jsm, p);
  const state = new StateStore(await openBucket(nc, USERS_BUCKET));
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const js = jetstream(nc);
  const journeys = new TemporalJourneyStarter(client, config.NUDGE_TASK_QUEUE);
  const handoff = natsHandoff(js, config.NUDGE_PARTITIONS);
  const processor = new EventProcessor({
    rules: index,
    state,
    journeys,
    handoff,
    waitScale: waitScaleOf(config),
    guardrails: globalGuardrails(config),
    phones: await PhoneDirectory.open(nc, smsCountry(process.env)),
  });

  const metrics = new EngineMetrics();
  const metricsServer = config.NUDGE_METRICS_PORT ? await metrics.serve(config.NUDGE_METRICS_PORT) : null;
  const onOutcome = (outcome: EventOutcome) => {
    metrics.recordOutcome(outcome);
    options.onOutcome?.(outcome);
  };
  const onDeadLetter = (reason: string) => {
    metrics.recordDeadLetter(reason);
    options.onDeadLetter?.(reason);
  };

  const stopping = new AbortController();
  setMaxListeners(partitions.length + 10, stopping.signal); // one listener per partition loop
  const merger = new PersonMerger(processor, { state, journeys, handoff });
  const loops = partitions.map((p) =>
    keepConsuming(`partition ${p}`, async () => {
      await ensurePartitionConsumer(jsm, p);
      await consumePartition({ js, processor, merger, partitions: config.NUDGE_PARTITIONS, log, onOutcome, onDeadLetter }, p, stopping.signal);
    }, stopping.signal, log),
  );
  const runResolver = config.NUDGE_RESOLVER === 'on' || (config.NUDGE_RESOLVER === 'auto' && partitions.includes(0));
  if (runResolver) {
    await ensureResolverConsumer(jsm);
    const store = new CachedIdentityStore(new KvIdentityStore(await openBucket(nc, IDENTITY_BUCKET)));
    const resolver = new IdentityResolver(store, identifierTypesOf(config));
    loops.push(
      keepConsuming('identity resolver', async () => {
        await ensureResolverConsumer(jsm);
        await consumeRawEvents({ js, resolver, store, partitions: config.NUDGE_PARTITIONS, log, onResolved: (plan) => metrics.recordResolution(plan), onDeadLetter }, stopping.signal);
      }, stopping.signal, log),
    );
  }
  log.info({ resolver: runResolver, rules: rules.map((r) => `${r.rule.id}@${r.rule.version}`), tags: tags.map((t) => t.tag.name), partitions: partitions.length }, 'engine started');

  return {
    rules,
    tags,
    partitions,
    metrics,
    async stop() {
      stopping.abort();
      metricsServer?.close();
      await Promise.allSettled(loops);
      await nc.drain().catch(() => undefined);
      await connection.close();
      log.info('engine stopped');
    },
  };
}

/** The country numbers without a country code belong to (SMS_DEFAULT_COUNTRY, as the SMS connector reads it). */
function smsCountry(env: NodeJS.ProcessEnv): CountryCode {
  return (env.SMS_DEFAULT_COUNTRY?.toUpperCase() || 'US') as CountryCode;
}
