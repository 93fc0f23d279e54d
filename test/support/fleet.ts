/**
 * Fault-test support for engines run as separate processes: a stream of product_added events over many
 * people, published to the raw stream; what the engines applied, read back from NATS KV (the
 * `product_adds` count tag of every person) and Temporal (the journeys started); the simulator's answer
 * for the same events as the oracle; and where the partition leases are.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../platform/config';
import { connectTemporalClient } from '../../platform/temporal/temporal-connection';
import { inject } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import type { EventEnvelope } from '../../engine/events/envelope';
import { publishEvent } from '../../platform/nats/publisher';
import { TagSet } from '../../engine/match/tags';
import { ensureStreams, USERS_BUCKET } from '../../platform/nats/setup';
import { LEASES_BUCKET, type LeaseRecord } from '../../engine/ownership/lease-store';
import { simulate } from '../../engine/simulate/simulator';
import { StateStore } from '../../platform/stores/state-store';
import { loadRuleSet } from '../../rules/load-rule-set';
import { startNudgeProcess, type NudgeProcess } from './nudge-process';

export const FLEET_RULES = resolve('test/fixtures/scale-out/rules');
const RULE_ID = 'adds-25';

export interface Fleet {
  nats: NatsServerHandle;
  nc: NatsConnection;
  js: JetStreamClient;
  temporal: Client;
  env: Record<string, string>;
  engines: NudgeProcess[];
  startEngine(extraEnv?: Record<string, string>): Promise<NudgeProcess>;
  stop(): Promise<void>;
}

export async function startFleet(env: Record<string, string> = {}): Promise<Fleet> {
  const nats = await startNats();
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  const { connection, client: temporal } = await connectTemporalClient(loadConfig({ ...env, TEMPORAL_ADDRESS: inject('temporalAddress') }));
  const engines: NudgeProcess[] = [];
  // The streams exist before any engine does, so events can be queued ahead of the first one.
  await ensureStreams(nc, { partitions: Number(env.NUDGE_PARTITIONS ?? 8), duplicateWindowMs: 86_400_000 });
  const fleetEnv = {
    NATS_URL: nats.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    NUDGE_TASK_QUEUE: `fleet-${randomUUID()}`,
    NUDGE_RULES_DIR: FLEET_RULES,
    NUDGE_TAGS_DIR: `${FLEET_RULES}/tags`,
    NUDGE_PARTITIONS: '8',
    ...env,
  };
  return {
    nats, nc, js: jetstream(nc), temporal, env: fleetEnv, engines,
    async startEngine(extraEnv = {}) {
      const engine = await startNudgeProcess('engine', 'engine started', { ...fleetEnv, ...extraEnv }, 90_000);
      engines.push(engine);
      return engine;
    },
    async stop() {
      await Promise.all(engines.map((e) => e.stop()));
      await connection.close();
      await nc.close();
      await nats.stop();
    },
  };
}

/** `people` people with `perPerson` product_added events each, interleaved in a seeded order. */
export function productStream(people: number, perPerson: number, seed = 7): { events: EventEnvelope[]; people: string[] } {
  const run = randomUUID().slice(0, 6);
  const ids = Array.from({ length: people }, (_, i) => `p${run}-${i}`);
  const base = Date.parse('2026-11-01T00:00:00Z');
  const queue = ids.flatMap((id, i) => Array.from({ length: perPerson }, (_, k) => ({ id, i, k })));
  let state = seed;
  const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  // Shuffle, then put each person's events back in their own order: people interleave, a person's events stay in order.
  for (let i = queue.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [queue[i], queue[j]] = [queue[j]!, queue[i]!];
  }
  const next = new Map<string, number>();
  const events = queue.map(({ id, i }) => {
    const k = next.get(id) ?? 0;
    next.set(id, k + 1);
    const timestamp = new Date(base + i * 1000 + k * 60_000).toISOString();
    return { type: 'track', event: 'product_added', userId: id, timestamp, properties: { sku: `sku-${k % 7}` }, context: {}, messageId: `${id}-add-${k}` } as EventEnvelope;
  });
  return { events, people: ids };
}

/** Publishes in order with a few in flight, retrying each event until the server confirms it. */
export async function publishAll(js: JetStreamClient, events: EventEnvelope[], inFlight = 64): Promise<void> {
  for (let i = 0; i < events.length; i += inFlight) {
    await Promise.all(events.slice(i, i + inFlight).map(async (event) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await publishEvent(js, event);
        } catch (error) {
          if (attempt > 100) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }));
  }
}

/** Every person's `product_adds` tag as stored in NATS KV. */
export async function countsOf(nc: NatsConnection, people: string[]): Promise<Map<string, number>> {
  const { tags } = loadRuleSet([FLEET_RULES], [`${FLEET_RULES}/tags`]);
  const tagSet = new TagSet(tags.map((t) => t.tag));
  const store = new StateStore(await new Kvm(nc).open(USERS_BUCKET));
  const counts = new Map<string, number>();
  await Promise.all(people.map(async (person) => {
    const { state } = await store.load(person);
    counts.set(person, Number(tagSet.valuesAt(state, state.clock).product_adds ?? 0));
  }));
  return counts;
}

/** Waits until every person's count is what was published for them (or fails naming the differences). */
export async function waitForCounts(nc: NatsConnection, expected: Map<string, number>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await countsOf(nc, [...expected.keys()]);
    const wrong = [...expected].filter(([person, n]) => counts.get(person) !== n);
    if (wrong.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${wrong.length} people have a wrong count, e.g. ${wrong.slice(0, 5).map(([person, n]) => `${person}: ${counts.get(person)} of ${n}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Workflow ids of the journeys started on the fleet's task queue. */
export async function journeysOf(fleet: Fleet): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of fleet.temporal.workflow.list({ query: `TaskQueue = '${fleet.env.NUDGE_TASK_QUEUE}' AND RuleId = '${RULE_ID}'` })) ids.push(execution.workflowId);
  return ids.sort();
}

/** The journeys the simulator starts for the same events: the oracle. */
export async function simulatedJourneys(events: EventEnvelope[]): Promise<string[]> {
  const { rules, tags } = loadRuleSet([FLEET_RULES], [`${FLEET_RULES}/tags`]);
  const actions = await simulate({ rules, tags, events, env: {}, until: 0 });
  return actions.filter((a) => a.action === 'enter').map((a) => a.journeyId!).sort();
}

/** Task leases: partition number (or 'resolver') → owning engine id. */
export async function taskOwners(nc: NatsConnection): Promise<Map<number | 'resolver', string>> {
  const kv = await new Kvm(nc).open(LEASES_BUCKET);
  const owners = new Map<number | 'resolver', string>();
  for await (const key of await kv.keys()) {
    if (!key.startsWith('p.') && key !== 'resolver') continue;
    const entry = await kv.get(key);
    if (entry?.operation === 'PUT') owners.set(key === 'resolver' ? 'resolver' : Number(key.slice(2)), entry.json<LeaseRecord>().owner);
  }
  return owners;
}

/** An engine id names its process: host-pid-random. */
export const isEngineOf = (owner: string | undefined, pid: number) => owner !== undefined && owner.includes(`-${pid}-`);
