/**
 * The identity resolver at stream speed: reads the raw stream (`NUDGE_RAW`, `nudge.raw`) in order from
 * its committed checkpoint, resolves each batch (resolve-batch.ts) and moves the checkpoint to the
 * batch's last sequence once the batch's graph writes and everything it published are stored. One engine runs it at a time
 * (the one holding the resolver's lease); `owns()` is asked before every commit and the checkpoint's
 * compare-and-set refuses a stale owner whose successor has committed (FencedError).
 *
 * Crash argument (in full: identity/ARCHITECTURE.md, point 3). A batch is planned in memory, each event
 * against the committed graph plus the batch's earlier plans, its publishes sent in event order as it
 * goes; then every key it changed is written once, with its final value, concurrently except that an
 * identifier record waits for the people it named in the batch, a redirect for its survivor and for its
 * merge's control messages (and everything published before them) to be stored. A failure anywhere
 * throws out of this loop without committing; the caller starts it again after a pause and it replays
 * from the checkpoint, i.e. from the start of the batch that failed, with an empty cache, against any
 * set of that batch's writes that respects those waits. Replaying is harmless:
 *   - an identifier record carries the raw sequence of the event that created it, and one created by a
 *     later event reads as absent while an earlier one is planned, so every event sees the links the
 *     first attempt saw; people may show the batch's later links and merges, which only ever lead to
 *     the person that absorbed them; plan times are the raw messages' stream times. So each event goes
 *     to the same person, or to the one that absorbed it;
 *   - republished events and merge control messages carry message ids (the event's messageId,
 *     `merge/<from>/<into>`) and NUDGE_EVENTS drops repeats across all partitions within its duplicate
 *     window; dead letters carry `dead-<subject>-<seq>`. An event stored by the first attempt stays on
 *     the first person's partition, behind which the hand-off was stored before the redirect;
 *   - a merge seen done by the replay had its control messages stored before its redirect; any other is
 *     planned and published again. What the crash left unwritten is planned again and written with
 *     compare-and-set on the revision it left: no link lost or doubled;
 *   - the checkpoint moves only after every graph write and every PubAck of the batch arrived.
 * A compare-and-set conflict (someone else wrote the graph) fails the batch the same way.
 * Nothing is acknowledged per message: the ordered consumer has no acks, so there is no redelivery
 * after ack_wait to reorder events (what the durable consumer `resolver` used to do after a crash).
 *
 * Migration: with no checkpoint yet but the old durable consumer `resolver` present, the loop starts
 * after that consumer's ack floor (everything before it was acknowledged, so resolved) and deletes the
 * consumer after its first commit. Events acknowledged beyond the floor are replayed: idempotent.
 */
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { RAW_STREAM, RAW_SUBJECT } from '../events/subjects';
import { readInBatches, type BatchReaderOptions } from '../../platform/nats/stream-batches';
import { RESOLVER_TASK, type CheckpointStore } from '../ownership/checkpoints';
import { CachedIdentityStore } from './cached-identity-store';
import { OwnershipLostError } from './ownership-lost-error';
import { resolveBatch, type BatchOutcome, type ResolverContext } from './resolve-batch';

export type { Resolution, ResolverContext } from './resolve-batch';

/** The durable consumer the resolver used before checkpoints; read once for migration, then deleted. */
export const LEGACY_RESOLVER_CONSUMER = 'resolver';

/**
 * A batch is whatever arrived while the previous one was being resolved, up to maxBatch: large enough
 * that one parallel read of the graph and one wait for PubAcks serve hundreds of events, small enough
 * that a replay after a crash is short.
 */
export const RESOLVER_BATCHES: BatchReaderOptions = { maxBatch: 500, maxBuffered: 2000 };

export interface ResolverLoopContext extends ResolverContext {
  checkpoints: CheckpointStore;
  /** This engine process, recorded with each checkpoint. */
  owner: string;
  /** Whether this engine still holds the resolver's lease (asked before every commit). */
  owns: () => boolean;
  /** Batch sizes; RESOLVER_BATCHES by default. */
  batches?: BatchReaderOptions;
}

/**
 * Resolves the raw stream until `stop` aborts (the batch in hand is finished and, if this engine still
 * owns the resolver, committed). Throws on any failure (see the crash argument above): FencedError
 * when another engine has committed the checkpoint since, OwnershipLostError when the lease is gone.
 */
export async function runResolverLoop(ctx: ResolverLoopContext, stop: AbortSignal): Promise<void> {
  // Another engine may have run the resolver since this process last did: start from the graph itself.
  if (ctx.store instanceof CachedIdentityStore) ctx.store.clear();
  const jsm = await ctx.js.jetstreamManager();
  const start = await startingPoint(ctx, jsm);
  let revision = start.revision;
  let legacyConsumer = start.legacyConsumer;
  const options = ctx.batches ?? RESOLVER_BATCHES;

  await readInBatches(ctx.js, RAW_STREAM, RAW_SUBJECT, start.seq, stop, async (batch) => {
    const outcome = await resolveBatch(ctx, batch);
    if (!ctx.owns()) throw new OwnershipLostError(RESOLVER_TASK);
    revision = await ctx.checkpoints.commit(RESOLVER_TASK, batch[batch.length - 1]!.seq, revision, ctx.owner);
    report(ctx, outcome);
    if (legacyConsumer) {
      await deleteLegacyConsumer(jsm);
      legacyConsumer = false;
      ctx.log.info({ consumer: LEGACY_RESOLVER_CONSUMER }, 'identity resolver moved to its checkpoint; old durable consumer deleted');
    }
  }, options);
}

async function startingPoint(ctx: ResolverLoopContext, jsm: JetStreamManager): Promise<{ seq: number; revision: number; legacyConsumer: boolean }> {
  const checkpoint = await ctx.checkpoints.load(RESOLVER_TASK);
  const legacy = await jsm.consumers.info(RAW_STREAM, LEGACY_RESOLVER_CONSUMER).catch((error: unknown) => {
    // Only "no such consumer" means there is nothing to migrate; anything else must not be read as
    // "start from the beginning of the raw stream".
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return null;
    throw error;
  });
  if (checkpoint.seq > 0 || !legacy) return { ...checkpoint, legacyConsumer: Boolean(legacy) };
  ctx.log.info({ consumer: LEGACY_RESOLVER_CONSUMER, afterSeq: legacy.ack_floor.stream_seq }, 'identity resolver has no checkpoint yet; starting after the old durable consumer\'s ack floor');
  return { seq: legacy.ack_floor.stream_seq, revision: checkpoint.revision, legacyConsumer: true };
}

async function deleteLegacyConsumer(jsm: JetStreamManager): Promise<void> {
  await jsm.consumers.delete(RAW_STREAM, LEGACY_RESOLVER_CONSUMER).catch((error: unknown) => {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)) throw error;
  });
}

/** Callbacks only for committed batches, so a replayed batch is counted once. */
function report(ctx: ResolverContext, outcome: BatchOutcome) {
  for (const result of outcome.values()) {
    if ('resolved' in result) ctx.onResolved?.(result.resolved);
    else ctx.onDeadLetter?.(result.deadLetter);
  }
}
