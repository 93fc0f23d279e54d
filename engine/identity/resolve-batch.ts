/**
 * One batch of the raw stream (resolver-loop.ts reads the batches and commits the checkpoint;
 * identity/ARCHITECTURE.md has the crash argument): planned in order against the batch's view of the
 * graph (plan-batch.ts), its publishes pipelined in event order as it goes (republisher.ts), then the
 * graph written behind — each key the batch changed once, with its final value, concurrently where
 * nothing orders the writes (batch-graph.ts) — and every PubAck awaited. A compare-and-set conflict
 * means someone else wrote the graph: the batch fails and is replayed from the checkpoint with an empty
 * cache. Poison messages are dead-lettered at once; nothing is acknowledged per message.
 */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { planBatch, type PlanningContext, type Resolution } from './plan-batch';
import { Republisher } from './republisher';

export type { Resolution } from './plan-batch';

export interface ResolverContext extends PlanningContext {
  js: JetStreamClient;
  partitions: number;
  /** Called once the batch holding the event is committed. */
  onResolved?: (resolution: Resolution) => void;
  onDeadLetter?: (reason: string) => void;
}

/** What each raw message of a batch came to, by stream sequence (in stream order). */
export type BatchOutcome = Map<number, { resolved: Resolution } | { deadLetter: string }>;

/**
 * Graph writes in flight at the end of a batch. They are publishes to the bucket's stream: enough to
 * cover the round trip, few enough that a batch's writes do not queue behind each other in the server.
 */
const WRITES_IN_FLIGHT = 256;

/** Resolves and republishes `batch`; resolves once every graph write and every message it published is stored. */
export async function resolveBatch(ctx: ResolverContext, batch: readonly JsMsg[]): Promise<BatchOutcome> {
  const out = new Republisher(ctx);
  try {
    const graph = await planBatch(ctx, batch, out);
    // Both settle before a failure is reported: a replay never races a write or publish still in flight.
    const [written, published] = await Promise.allSettled([graph.write(WRITES_IN_FLIGHT), out.settle()]);
    if (written.status === 'rejected') throw written.reason;
    if (published.status === 'rejected') throw published.reason;
    return out.outcome;
  } catch (error) {
    await out.abandon(); // nothing of this batch still in flight when its replay starts
    throw error;
  }
}
