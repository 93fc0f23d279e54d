/**
 * One partition, owned by this engine: read from the committed checkpoint in stream order, decide each
 * batch in memory against the partition's state cache, commit the batch (batch.ts: effects, states,
 * signals), then move the checkpoint. Started when the engine takes the partition's lease and stopped
 * when it hands the partition over (ownership.ts); a failure ends the loop and the caller starts it
 * again, from the checkpoint, with an empty cache — so a batch is either fully committed or replayed.
 *
 * Failures: a message that can never be processed (invalid, misrouted, or whose decision throws) is
 * dead-lettered at once with the reason and the others go on; Temporal or NATS being unavailable stops
 * the whole partition (retried with backoff, order kept); a compare-and-set conflict (another writer:
 * a stale owner, `nudge erase`) or a lost lease ends the loop.
 */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { EVENTS_STREAM, partitionSubject } from '../events/subjects';
import type { Logger } from '../../platform/logger';
import { FencedError, partitionTask, type CheckpointStore } from '../ownership/checkpoints';
import { StateCache } from '../../platform/stores/state-cache';
import type { VersionedState } from '../../platform/stores/state-store';
import { Batch, type CommitPorts } from './batch';
import { concurrently } from './concurrently';
import { decideEvent, decideJourneyEnded, type DecideContext, type Decision, type EventOutcome } from '../decide/decide';
import { decideAbsorb, decideHandOff } from '../decide/decide-merge';
import { decideAudienceEntry } from '../decide/decide-audience';
import { decideAbsenceTimer } from '../decide/decide-absence';
import { publishDeadLetter } from '../../platform/nats/dead-letter';
import { resolveLegacyMarkers } from './legacy-markers';
import { readPartitionMessage, type PartitionMessage } from './partition-messages';
import { readInBatches, type BatchReader } from '../../platform/nats/stream-batches';
import { retryWhileUnavailable } from './unavailable';

export interface PartitionLoopContext {
  js: JetStreamClient;
  decide: DecideContext;
  /**
   * The rule set for the next batch, when it can change while the loop runs (a deployed revision):
   * read once per batch, so every message of a batch is decided with the same rules.
   */
  ruleSet?: () => DecideContext['rules'];
  ports: CommitPorts;
  checkpoints: CheckpointStore;
  /** Where the checkpoint starts when none was ever written (migration from the old durable consumers). */
  initialSeq?: (partition: number) => Promise<number>;
  owner: string;
  owns(task: string): boolean;
  partitionCount: number;
  cacheCapacity: number;
  maxBatch: number;
  log: Logger;
  onOutcome?: (outcome: EventOutcome) => void;
  onDeadLetter?: (reason: string) => void;
  onJourneyEnded?: () => void;
  onCommitted?: (partition: number, info: { messages: number; lastSeq: number; cacheHits: number; cacheMisses: number; cached: number }) => void;
  onReader?: (partition: number, reader: BatchReader | null) => void;
}

export async function runPartitionLoop(ctx: PartitionLoopContext, partition: number, stop: AbortSignal): Promise<void> {
  const task = partitionTask(partition);
  const cache = new StateCache(ctx.cacheCapacity);
  const checkpoint = await ctx.checkpoints.load(task);
  const start = checkpoint.revision === 0 && ctx.initialSeq ? await ctx.initialSeq(partition) : checkpoint.seq;
  ctx.log.debug({ partition, from: start + 1 }, 'partition loop starting');
  try {
    await readInBatches(ctx.js, EVENTS_STREAM, partitionSubject(partition), start, stop, async (msgs) => {
      const batch = new Batch();
      const decideCtx = ctx.ruleSet ? { ...ctx.decide, rules: ctx.ruleSet() } : ctx.decide;
      const items = msgs.map((msg) => readPartitionMessage(msg, partition, ctx.partitionCount));
      await admitPeople(ctx, cache, batch, items);
      const deadLetters: { msg: JsMsg; reason: string }[] = [];
      for (const item of items) {
        if (item.kind === 'invalid') {
          deadLetters.push({ msg: item.msg, reason: item.reason });
          continue;
        }
        try {
          batch.apply(item.person, decide(decideCtx, batch, item), item.kind !== 'ended');
          if (item.kind === 'ended') ctx.onJourneyEnded?.();
        } catch (error) {
          // A decision is a pure function of its inputs: a retry would throw again.
          deadLetters.push({ msg: item.msg, reason: `processing failed: ${(error as Error).message}` });
        }
      }
      await retryWhileUnavailable(stop, ctx.log, { partition }, async () => {
        await concurrently(deadLetters, ctx.ports.concurrency, ({ msg, reason }) => publishDeadLetter(ctx.js, { partition, data: msg.data, reason, sourceSubject: msg.subject, sourceSeq: msg.seq }));
        await batch.commit(ctx.ports);
      });
      if (!ctx.owns(task)) throw new FencedError(task);
      const lastSeq = msgs.at(-1)!.seq;
      checkpoint.revision = await retryWhileUnavailable(stop, ctx.log, { partition }, () => ctx.checkpoints.commit(task, lastSeq, checkpoint.revision, ctx.owner));
      for (const [userKey, entry] of batch.committed()) cache.set(userKey, entry);
      for (const { reason } of deadLetters) {
        ctx.log.warn({ partition, reason }, 'event dead-lettered');
        ctx.onDeadLetter?.(reason);
      }
      for (const outcome of batch.outcomes) ctx.onOutcome?.(outcome);
      ctx.onCommitted?.(partition, { messages: msgs.length, lastSeq, cacheHits: cache.hits, cacheMisses: cache.misses, cached: cache.size });
    }, { maxBatch: ctx.maxBatch, maxBuffered: ctx.maxBatch * 2 }, (reader) => ctx.onReader?.(partition, reader));
  } finally {
    ctx.onReader?.(partition, null);
  }
}

function decide(ctx: DecideContext, batch: Batch, item: Exclude<PartitionMessage, { kind: 'invalid' }>): Decision {
  const state = batch.stateOf(item.person);
  switch (item.kind) {
    case 'event':
      return decideEvent(ctx, state, item.event, item.seq, item.person);
    case 'merge':
      return decideHandOff(state, item.control);
    case 'absorb':
      return decideAbsorb(ctx, state, item.control, item.seq);
    case 'ended':
      return decideJourneyEnded(state, item.notice);
    case 'audience':
      return decideAudienceEntry(ctx, state, item.control, item.seq);
    case 'absence':
      return decideAbsenceTimer(ctx, state, item.control, item.seq);
  }
}

/** Every person the batch touches, from the cache or (concurrently) from KV. */
async function admitPeople(ctx: PartitionLoopContext, cache: StateCache, batch: Batch, items: PartitionMessage[]): Promise<void> {
  const missing: string[] = [];
  for (const item of items) {
    if (item.kind === 'invalid' || batch.has(item.person)) continue;
    const cached = cache.get(item.person);
    if (cached) batch.admit(item.person, cached);
    else if (!missing.includes(item.person)) missing.push(item.person);
  }
  let loaded = new Map<string, VersionedState>();
  if (ctx.ports.state.loadMany) loaded = await ctx.ports.state.loadMany(missing);
  else {
    await concurrently(missing, ctx.ports.concurrency, async (person) => {
      loaded.set(person, await ctx.ports.state.load(person));
    });
  }
  for (const person of missing) {
    const entry = loaded.get(person)!;
    batch.admit(person, entry);
    const upgraded = await resolveLegacyMarkers(entry.state, ctx.ports.journeys);
    if (upgraded) batch.replace(person, upgraded);
  }
}
