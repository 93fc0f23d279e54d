/**
 * What one batch of the resolver loop does with the graph, on a real nats-server: later events of a
 * batch are planned against the earlier ones' writes before any is written, each key is written once
 * with its final value, and another writer's change under the cache fails the batch instead of being
 * written over (the replay, from fresh reads, keeps it). batch-crash.test.ts replays crashes.
 */
import { DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../events/envelope';
import { RAW_STREAM } from '../events/subjects';
import { RESOLVER_TASK } from '../ownership/checkpoints';
import { CachedIdentityStore } from './cached-identity-store';
import { identifierKey, IdentityConflictError, personKey, type IdentityGraphStore } from './identity-store';
import { resolveBatch } from './resolve-batch';
import { event, eventIdsByPerson, loopContext, partitionMessages, publishAll, startLoop, untilCheckpointAt, untilPartitionsHold, useResolverLoopHarness, type ResolverLoopHarness } from './resolver-loop.harness';

const h = useResolverLoopHarness();

/** Publishes `events` and resolves them as one batch (the loop would cut batches as messages arrive). */
async function asOneBatch(events: EventEnvelope[], store: IdentityGraphStore): Promise<void> {
  const lastSeq = await publishAll(h, events);
  const consumer = await h.js.consumers.get(RAW_STREAM, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq - events.length + 1 });
  const batch: JsMsg[] = [];
  for await (const msg of await consumer.fetch({ max_messages: events.length })) batch.push(msg);
  expect(batch).toHaveLength(events.length);
  await resolveBatch(loopContext(h, { store: new CachedIdentityStore(store) }), batch);
}

/** The test's graph, counting the writes per key. */
function countingWrites(harness: ResolverLoopHarness): IdentityGraphStore & { writes: Map<string, number> } {
  const writes = new Map<string, number>();
  const count = (key: string) => writes.set(key, (writes.get(key) ?? 0) + 1);
  return {
    writes,
    getIdentifier: (id) => harness.graph.getIdentifier(id),
    getPerson: (id) => harness.graph.getPerson(id),
    getMany: (keys) => harness.graph.getMany(keys),
    putIdentifier: (id, ...rest) => (count(identifierKey(id)), harness.graph.putIdentifier(id, ...rest)),
    putPerson: (record, revision) => (count(personKey(record.id)), harness.graph.putPerson(record, revision)),
  };
}

describe('a resolver batch', () => {
  it('two events sharing a new identifier: the second is planned against the first, every key written once', async () => {
    const events = [event({ anonymousId: 'fresh' }), event({ userId: 'pat', anonymousId: 'fresh' }, 'identify'), event({ anonymousId: 'fresh' })];
    const store = countingWrites(h);
    await asOneBatch(events, store);
    const messages = await partitionMessages(h);

    expect(eventIdsByPerson(messages)).toEqual({ fresh: events.map((e) => e.messageId) });
    expect((await h.graph.getPerson('fresh'))!.value.identifiers).toEqual({ anonymousId: ['fresh'], userId: ['pat'] });
    expect((await h.graph.getIdentifier({ type: 'userId', value: 'pat' }))!.value.person).toBe('fresh');
    // The person was created and then linked in the batch: one write, not a create and an update.
    expect(Object.fromEntries(store.writes)).toEqual({ [personKey('fresh')]: 1, [identifierKey({ type: 'anonymousId', value: 'fresh' })]: 1, [identifierKey({ type: 'userId', value: 'pat' })]: 1 });
  });

  it('a merge and a later event of the merged-away person in one batch: the event goes to the survivor, the hand-off behind the earlier ones', async () => {
    const events = [event({ anonymousId: 'tab' }), event({ userId: 'kim', anonymousId: 'phone' }), event({ userId: 'kim', anonymousId: 'tab' }), event({ anonymousId: 'tab' })];
    const store = countingWrites(h);
    await asOneBatch(events, store);
    const messages = await partitionMessages(h);

    expect(messages.filter((m) => m.person === 'tab').map((m) => m.id)).toEqual([events[0]!.messageId, 'merge/tab/kim']);
    expect(eventIdsByPerson(messages).kim).toEqual(events.slice(1).map((e) => e.messageId));
    // tab was created and merged away in the same batch: its record is written once, as the redirect.
    expect((await h.graph.getPerson('tab'))!.value).toMatchObject({ mergedInto: 'kim', identifiers: { anonymousId: ['tab'] } });
    expect(store.writes.get(personKey('tab'))).toBe(1);
    expect((await h.graph.getIdentifier({ type: 'anonymousId', value: 'tab' }))!.value.person).toBe('kim');
  });

  it('fails when another writer changed a record under its cache, writes nothing that depends on it, and the replay keeps that change', async () => {
    const first = event({ userId: 'ann', anonymousId: 'laptop' });
    const firstSeq = await publishAll(h, [first]);
    const stale = startLoop(loopContext(h));
    await untilCheckpointAt(h, firstSeq);
    const committed = await h.checkpoints.load(RESOLVER_TASK);
    // Someone else (a second resolver by mistake, an operator) changes ann behind this resolver's cache.
    const ann = (await h.graph.getPerson('ann'))!;
    await h.graph.putPerson({ ...ann.value, identifiers: { ...ann.value.identifiers, email: ['ann@elsewhere.example'] } }, ann.revision);

    const second = event({ userId: 'ann', anonymousId: 'phone' });
    const secondSeq = await publishAll(h, [second]);
    await expect(stale.done).rejects.toBeInstanceOf(IdentityConflictError);
    expect(await h.checkpoints.load(RESOLVER_TASK)).toEqual(committed);
    expect(await h.graph.getIdentifier({ type: 'anonymousId', value: 'phone' })).toBeNull(); // it names ann, whose write failed

    const again = startLoop(loopContext(h)); // a restart reads the graph afresh
    const messages = await untilPartitionsHold(h, 2);
    await untilCheckpointAt(h, secondSeq);
    await again.stop();
    expect(eventIdsByPerson(messages)).toEqual({ ann: [first.messageId, second.messageId] });
    expect((await h.graph.getPerson('ann'))!.value.identifiers).toEqual({ userId: ['ann'], anonymousId: ['laptop', 'phone'], email: ['ann@elsewhere.example'] });
  });
});
