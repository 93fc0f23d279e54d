/**
 * What the resolver loop's tests share: a nats-server with the streams, a fresh identity bucket and an
 * empty checkpoint per test, a loop context, and readers of what the partitions hold. Call
 * useResolverLoopHarness() at the top of a test file: it registers the hooks and returns the harness,
 * whose fields are set once the hooks have run.
 */
import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startNats, type NatsServerHandle } from '../../dev/servers/nats';
import { eventually } from '../../test/support/poll';
import type { EventEnvelope } from '../events/envelope';
import { publishEvent } from '../../platform/nats/publisher';
import { CONTROL_HEADER, DEAD_LETTER_STREAM, EVENTS_STREAM, PERSON_HEADER, RAW_STREAM } from '../events/subjects';
import { createLogger } from '../../platform/logger';
import { ensureStreams } from '../../platform/nats/setup';
import { CHECKPOINTS_BUCKET, CheckpointStore, RESOLVER_TASK } from '../ownership/checkpoints';
import { CachedIdentityStore } from './cached-identity-store';
import { IdentifierTypes } from '../events/identifier-types';
import { IdentityResolver } from './identity-resolver';
import { KvIdentityStore } from './identity-store';
import { runResolverLoop, type ResolverLoopContext } from './resolver-loop';

export const PARTITIONS = 4;

export interface ResolverLoopHarness {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  checkpoints: CheckpointStore;
  /** This test's identity bucket, and the graph in it. */
  graphBucket: KV;
  graph: KvIdentityStore;
}

export interface PartitionMessage { subject: string; person: string; id: string; control?: string }

export function useResolverLoopHarness(): ResolverLoopHarness {
  const h = {} as ResolverLoopHarness;
  let nats: NatsServerHandle | undefined;
  let buckets = 0;
  beforeAll(async () => {
    nats = await startNats();
    h.nc = await connect({ servers: nats.url });
    h.jsm = await ensureStreams(h.nc, { partitions: PARTITIONS, duplicateWindowMs: 3_600_000 });
    h.js = jetstream(h.nc);
    h.checkpoints = await CheckpointStore.open(h.nc);
  });
  afterAll(async () => {
    await h.nc?.close();
    await nats?.stop();
  });
  beforeEach(async () => {
    for (const stream of [RAW_STREAM, EVENTS_STREAM, DEAD_LETTER_STREAM]) await h.jsm.streams.purge(stream);
    await (await new Kvm(h.nc).open(CHECKPOINTS_BUCKET)).purge(RESOLVER_TASK);
    h.graphBucket = await new Kvm(h.nc).create(`identity_test_${++buckets}`, { history: 1 });
    h.graph = new KvIdentityStore(h.graphBucket);
  });
  return h;
}

let n = 0;
export const event = (ids: { userId?: string; anonymousId?: string }, type: 'track' | 'identify' = 'track'): EventEnvelope =>
  type === 'track'
    ? { type, event: 'page_viewed', properties: {}, context: {}, timestamp: '2026-12-01T10:00:00.000Z', messageId: `m${++n}`, ...ids }
    : { type, traits: {}, context: {}, timestamp: '2026-12-01T10:00:00.000Z', messageId: `m${++n}`, ...ids };

export function loopContext(h: ResolverLoopHarness, overrides: Partial<ResolverLoopContext> = {}): ResolverLoopContext & { deadLetters: string[] } {
  const store = overrides.store ?? new CachedIdentityStore(h.graph);
  const deadLetters: string[] = [];
  return {
    js: h.js, store, resolver: new IdentityResolver(store, IdentifierTypes.defaults('US')), partitions: PARTITIONS, log: createLogger('test', 'silent'),
    checkpoints: h.checkpoints, owner: 'engine-a', owns: () => true, batches: { maxBatch: 4, maxBuffered: 16 },
    onDeadLetter: (reason) => deadLetters.push(reason), deadLetters, ...overrides,
  };
}

export function startLoop(ctx: ResolverLoopContext) {
  const stop = new AbortController();
  const done = runResolverLoop(ctx, stop.signal);
  done.catch(() => undefined); // inspected by the tests that expect a failure
  return { done, stop: async () => (stop.abort(), await done) };
}

/** Everything on the partitions, in stream order: events by messageId, control messages by their msgID. */
export async function partitionMessages(h: ResolverLoopHarness): Promise<PartitionMessage[]> {
  const { state } = await h.jsm.streams.info(EVENTS_STREAM);
  const messages: PartitionMessage[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const stored = await h.jsm.streams.getMessage(EVENTS_STREAM, { seq });
    if (!stored) continue;
    const control = stored.header.get(CONTROL_HEADER) || undefined;
    const body = stored.json<{ messageId: string; from: string; into: string }>();
    messages.push({ subject: stored.subject, person: stored.header.get(PERSON_HEADER), id: control ? `${control}/${body.from}/${body.into}` : body.messageId, ...(control ? { control } : {}) });
  }
  return messages;
}

export const untilPartitionsHold = (h: ResolverLoopHarness, count: number, timeoutMs = 10_000) =>
  eventually(async () => ((await partitionMessages(h)).length >= count ? partitionMessages(h) : undefined), timeoutMs, `${count} partition messages`);

export const untilCheckpointAt = (h: ResolverLoopHarness, seq: number) =>
  eventually(async () => ((await h.checkpoints.load(RESOLVER_TASK)).seq === seq ? true : undefined), 5000, 'the checkpoint');

export const eventIdsByPerson = (messages: PartitionMessage[]) => {
  const byPerson: Record<string, string[]> = {};
  for (const m of messages) if (!m.control) (byPerson[m.person] ??= []).push(m.id);
  return byPerson;
};

/** Publishes to the raw stream in order; resolves with the last raw sequence. */
export async function publishAll(h: ResolverLoopHarness, events: EventEnvelope[]): Promise<number> {
  for (const e of events) await publishEvent(h.js, e);
  return (await h.jsm.streams.info(RAW_STREAM)).state.last_seq;
}
