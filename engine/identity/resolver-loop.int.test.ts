/**
 * The resolver loop on a real nats-server: raw events in, each on its person's partition exactly once
 * and in order, the checkpoint at the last raw sequence; a stop or a failed batch resumes from the
 * checkpoint; poison messages are dead-lettered without delaying anyone; a stale resolver cannot commit.
 * (resolver-loop-batches.int.test.ts: what one batch does with the graph.)
 */
import { AckPolicy, DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { ConnectionError } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { eventually } from '../../test/support/poll';
import type { EventEnvelope } from '../events/envelope';
import { publishEvent } from '../../platform/nats/publisher';
import { CONTROL_HEADER, DEAD_LETTER_STREAM, partitionOf, partitionSubject, RAW_STREAM, RAW_SUBJECT } from '../events/subjects';
import { FencedError, RESOLVER_TASK } from '../ownership/checkpoints';
import { CachedIdentityStore } from './cached-identity-store';
import { identifierKey, type IdentityGraphStore } from './identity-store';
import { OwnershipLostError } from './ownership-lost-error';
import { LEGACY_RESOLVER_CONSUMER, type ResolverLoopContext } from './resolver-loop';
import { event, eventIdsByPerson, loopContext, PARTITIONS, publishAll as publishAllTo, startLoop as start, untilPartitionsHold as untilHeld, useResolverLoopHarness } from './resolver-loop.harness';

const h = useResolverLoopHarness();
const context = (overrides: Partial<ResolverLoopContext> = {}) => loopContext(h, overrides);
const untilPartitionsHold = (count: number, timeoutMs?: number) => untilHeld(h, count, timeoutMs);
const publishAll = (events: EventEnvelope[]) => publishAllTo(h, events);

describe('runResolverLoop', () => {
  it('republishes every event to its person in raw order, a merge hand-off behind the merged person\'s events', async () => {
    const events = [
      event({ anonymousId: 'dev-a' }), event({ anonymousId: 'dev-b' }), event({ userId: 'bob' }), event({ anonymousId: 'dev-a' }),
      event({ userId: 'ann', anonymousId: 'dev-a' }, 'identify'), event({ anonymousId: 'dev-b' }), event({ userId: 'bob' }),
      event({ userId: 'ann', anonymousId: 'dev-b' }, 'identify'), // dev-b is merged into dev-a (which holds ann)
      event({ anonymousId: 'dev-b' }), event({ userId: 'bob' }),
    ];
    const lastSeq = await publishAll(events);
    const loop = start(context());
    const messages = await untilPartitionsHold(events.length + 1);
    await eventually(async () => ((await h.checkpoints.load(RESOLVER_TASK)).seq === lastSeq ? true : undefined), 5000, 'the checkpoint');
    await loop.stop();

    const ids = (...indexes: number[]) => indexes.map((i) => events[i]!.messageId);
    expect(eventIdsByPerson(messages)).toEqual({ 'dev-a': ids(0, 3, 4, 7, 8), 'dev-b': ids(1, 5), bob: ids(2, 6, 9) });
    for (const m of messages) expect(m.subject).toBe(partitionSubject(partitionOf(m.person, PARTITIONS)));
    const onDevB = messages.filter((m) => m.person === 'dev-b').map((m) => m.id);
    expect(onDevB).toEqual([...ids(1, 5), 'merge/dev-b/dev-a']);
    expect(messages).toHaveLength(events.length + 1);
  });

  it('resumes after a stop from its checkpoint: nothing lost, nothing twice', async () => {
    const people = Array.from({ length: 6 }, (_, i) => `user-${i}`);
    const first = people.flatMap((p) => [event({ userId: p }), event({ userId: p, anonymousId: `${p}-phone` })]);
    await publishAll(first);
    const one = start(context());
    await untilPartitionsHold(5);
    await one.stop();
    const committed = await h.checkpoints.load(RESOLVER_TASK);
    expect(committed.seq).toBeGreaterThan(0);

    const second = people.flatMap((p) => [event({ anonymousId: `${p}-phone` }), event({ userId: p })]);
    const lastSeq = await publishAll(second);
    let resolvedAgain = 0;
    const two = start(context({ owner: 'engine-b', onResolved: () => resolvedAgain++ }));
    const messages = await untilPartitionsHold(first.length + second.length);
    await eventually(async () => ((await h.checkpoints.load(RESOLVER_TASK)).seq === lastSeq ? true : undefined), 5000, 'the checkpoint');
    await two.stop();

    expect(resolvedAgain).toBe(lastSeq - committed.seq); // it started after the checkpoint, not from the beginning
    const all = [...first, ...second];
    expect(messages.map((m) => m.id).sort()).toEqual(all.map((e) => e.messageId).sort());
    const expected = Object.fromEntries(people.map((p) => [p, all.filter((e) => e.userId === p || e.anonymousId === `${p}-phone`).map((e) => e.messageId)]));
    expect(eventIdsByPerson(messages)).toEqual(expected);
  });

  it('a batch that fails half-way throws, and the next run replays it from the checkpoint without duplicates', async () => {
    const events = Array.from({ length: 12 }, (_, i) => event({ userId: `u${i % 5}`, anonymousId: `d${i}` }));
    const lastSeq = await publishAll(events);
    let writes = 0;
    const flaky: IdentityGraphStore = {
      getIdentifier: (id) => h.graph.getIdentifier(id),
      getPerson: (id) => h.graph.getPerson(id),
      putIdentifier: (...args) => h.graph.putIdentifier(...args),
      putPerson: async (record, revision) => {
        if (++writes === 7) throw new ConnectionError('connection lost (injected)');
        return h.graph.putPerson(record, revision);
      },
    };
    const failing = start(context({ store: new CachedIdentityStore(flaky) }));
    await expect(failing.done).rejects.toThrow(/injected/);
    expect((await h.checkpoints.load(RESOLVER_TASK)).seq).toBeLessThan(lastSeq);

    const again = start(context());
    const messages = await untilPartitionsHold(events.length);
    await eventually(async () => ((await h.checkpoints.load(RESOLVER_TASK)).seq === lastSeq ? true : undefined), 5000, 'the checkpoint');
    await again.stop();
    expect(messages).toHaveLength(events.length);
    expect(eventIdsByPerson(messages)).toEqual(Object.fromEntries([0, 1, 2, 3, 4].map((u) => [`u${u}`, events.filter((e) => e.userId === `u${u}`).map((e) => e.messageId)])));
  });

  it('a merge hand-off lost in flight is sent again by the replay: it is stored before the merge is committed', async () => {
    const events = [event({ anonymousId: 'tab' }), event({ userId: 'kim', anonymousId: 'phone' }), event({ userId: 'kim', anonymousId: 'tab' }), event({ anonymousId: 'tab' })];
    await publishAll(events);
    let dropped = false;
    const lossy: JetStreamClient = Object.assign(Object.create(h.js), {
      publish: (subject: string, data: Uint8Array | string, options?: Parameters<JetStreamClient['publish']>[2]) => {
        if (!dropped && options?.headers?.get(CONTROL_HEADER)) {
          dropped = true;
          return Promise.reject(new ConnectionError('control message lost in flight (injected)'));
        }
        return h.js.publish(subject, data, options);
      },
    });
    await expect(start(context({ js: lossy })).done).rejects.toThrow(/injected/);
    const again = start(context());
    const messages = await untilPartitionsHold(events.length + 1);
    await again.stop();
    expect(messages.filter((m) => m.person === 'tab').map((m) => m.id)).toEqual([events[0]!.messageId, 'merge/tab/kim']);
    expect(eventIdsByPerson(messages).kim).toEqual(events.slice(1).map((e) => e.messageId));
  });

  it('dead-letters 10 poison messages at once: the good ones between them arrive without retry delays', async () => {
    // A graph record nobody can parse: every attempt to plan an event of this user fails the same way.
    await h.graphBucket.put(identifierKey({ type: 'userId', value: 'corrupt' }), 'not json');
    const poison = [
      'not json', '{"type":"track"', '', '\u0000\u0001',
      '{"type":"track","messageId":"p5"}', '[1,2,3]', '{"type":"teleport","userId":"x","messageId":"p7","timestamp":"2026-12-01T10:00:00.000Z"}',
      ...['p8', 'p9'].map((id) => JSON.stringify({ ...event({ userId: '   ' }), messageId: id })),
      JSON.stringify({ ...event({ userId: 'corrupt' }), messageId: 'p10' }),
    ];
    const good: EventEnvelope[] = [];
    for (const bad of poison) {
      const ok = event({ userId: `good-${good.length % 3}` });
      good.push(ok);
      await publishEvent(h.js, ok);
      await h.js.publish(RAW_SUBJECT, new TextEncoder().encode(bad));
    }
    const ctx = context({ batches: { maxBatch: 3, maxBuffered: 8 } });
    const t0 = Date.now();
    const loop = start(ctx);
    const messages = await untilPartitionsHold(good.length, 2000);
    const elapsed = Date.now() - t0;
    await eventually(() => (ctx.deadLetters.length === poison.length ? true : undefined), 2000, 'the dead letters reported');
    await loop.stop();

    expect(elapsed).toBeLessThan(2000);
    expect(messages.map((m) => m.id).sort()).toEqual(good.map((e) => e.messageId).sort());
    expect(ctx.deadLetters.filter((r) => r.startsWith('not valid JSON'))).toHaveLength(4);
    // A whitespace-only userId is refused by the envelope itself (one identifier definition), not later as unusable.
    expect(ctx.deadLetters.filter((r) => r.startsWith('invalid event'))).toHaveLength(5);
    expect(ctx.deadLetters.filter((r) => /^invalid event: userId: an identifier is whitespace only/.test(r))).toHaveLength(2);
    expect(ctx.deadLetters.filter((r) => r.startsWith('identity resolution failed: '))).toHaveLength(1);
    expect((await h.jsm.streams.info(DEAD_LETTER_STREAM)).state.messages).toBe(poison.length);
  });

  it('a stale resolver cannot commit: fenced by a successor\'s checkpoint, or stopped when its lease is gone', async () => {
    await publishAll([event({ userId: 'x' })]);
    const stale = start(context());
    await eventually(async () => ((await h.checkpoints.load(RESOLVER_TASK)).seq > 0 ? true : undefined), 5000, 'the first commit');
    const taken = await h.checkpoints.load(RESOLVER_TASK);
    await h.checkpoints.commit(RESOLVER_TASK, taken.seq, taken.revision, 'engine-b'); // the successor committed
    await publishAll([event({ userId: 'y' })]);
    await expect(stale.done).rejects.toBeInstanceOf(FencedError);
    expect((await h.checkpoints.load(RESOLVER_TASK)).seq).toBe(taken.seq);

    let owns = true;
    const leaseless = start(context({ owns: () => owns }));
    await eventually(async () => ((await h.checkpoints.load(RESOLVER_TASK)).seq > taken.seq ? true : undefined), 5000, 'the new owner\'s commit');
    const before = await h.checkpoints.load(RESOLVER_TASK);
    owns = false;
    await publishAll([event({ userId: 'z' })]);
    await expect(leaseless.done).rejects.toBeInstanceOf(OwnershipLostError);
    expect(await h.checkpoints.load(RESOLVER_TASK)).toEqual(before);
  });

  it('migrates from the old durable consumer: starts after its ack floor and deletes it after the first commit', async () => {
    const events = Array.from({ length: 5 }, (_, i) => event({ userId: `m${i}` }));
    await publishAll(events);
    await h.jsm.consumers.add(RAW_STREAM, { durable_name: LEGACY_RESOLVER_CONSUMER, filter_subject: RAW_SUBJECT, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
    const legacy = await h.js.consumers.get(RAW_STREAM, LEGACY_RESOLVER_CONSUMER);
    for (let i = 0; i < 3; i++) await (await legacy.next())!.ackAck(); // the old resolver had handled three

    const loop = start(context());
    const messages = await untilPartitionsHold(2);
    await eventually(async () => ((await h.jsm.consumers.info(RAW_STREAM, LEGACY_RESOLVER_CONSUMER).catch(() => null)) ? undefined : true), 5000, 'the old consumer deleted');
    await loop.stop();
    expect(messages.map((m) => m.id)).toEqual([events[3]!.messageId, events[4]!.messageId]);
  });
});
