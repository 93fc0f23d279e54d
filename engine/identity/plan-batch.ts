/**
 * The core of a resolver batch, without the stream around it: every raw message in order, planned
 * against the batch's graph (batch-graph.ts: the committed graph plus this batch's earlier plans) and
 * committed into it in memory; what each message comes to goes to a sink (the partitions in the loop,
 * a recorder in tests). Per message:
 *   - not JSON, not a valid envelope, no usable identifier, or any other failure a retry cannot fix:
 *     dead-lettered at once (one attempt);
 *   - nudge's own event about a known person (`Nudge-Person` header): routed to that person, following
 *     merges since;
 *   - otherwise: plan → a merge's control messages → commit into the batch's graph → the event to its
 *     person. Nothing is awaited per event but the graph's reads, which the warm-up has made memory reads.
 * A failure that is not the message's own (infrastructure, a graph that changed under the cache) throws:
 * the batch fails.
 */
import type { JsMsg } from '@nats-io/jetstream';
import { parseEnvelope, type EventEnvelope } from '../events/envelope';
import { PERSON_HEADER } from '../events/subjects';
import { jsonShapeProblem } from '../events/json-shape';
import type { Logger } from '../../platform/logger';
import { BatchGraph } from './batch-graph';
import type { IdentityResolver, ResolutionPlan } from './identity-resolver';
import { livePerson, type IdentityGraphStore, type MergeRecord } from './identity-store';
import { handlingOf } from './resolver-failures';

/** What a batch reads of a raw message (a JsMsg, or a stand-in in tests). */
export type RawMessage = Pick<JsMsg, 'seq' | 'subject' | 'data' | 'headers' | 'json'> & { info: Pick<JsMsg['info'], 'timestampNanos'> };

export type Resolution = ResolutionPlan | { person: string; internal: true };

/** Where the batch's decisions go, in event order. */
export interface BatchSink {
  event(msg: RawMessage, person: string, event: EventEnvelope, resolution: Resolution): void;
  control(msg: RawMessage, merge: MergeRecord): void;
  deadLetter(msg: RawMessage, reason: string): void;
  /** Resolves once everything given to the sink so far is stored (what a merge's redirect waits for). */
  stored(): Promise<void>;
}

export interface PlanningContext {
  resolver: IdentityResolver;
  /** The store `resolver` plans against (a CachedIdentityStore in the engine). */
  store: IdentityGraphStore;
  log: Logger;
  /** The time a plan records (merges, refusals, a new person's createdAt); the raw message's stream time by default. */
  now?: () => number;
}

type Parsed = { msg: RawMessage; event: EventEnvelope; knownPerson: string | undefined } | { msg: RawMessage; deadLetter: string };

/** Plans `batch` into a new BatchGraph (returned, to be written) and hands every decision to `sink`. */
export async function planBatch(ctx: PlanningContext, batch: readonly RawMessage[], sink: BatchSink): Promise<BatchGraph> {
  const graph = new BatchGraph(ctx.store);
  const planner = ctx.resolver.over(graph);
  const parsed = batch.map(parse);
  await ctx.resolver.warm(parsed.flatMap((p) => ('event' in p && !p.knownPerson ? [p.event] : [])));
  for (const item of parsed) {
    if ('deadLetter' in item) sink.deadLetter(item.msg, item.deadLetter);
    else await resolveOne(ctx, planner, graph, item, sink);
  }
  return graph;
}

function parse(msg: RawMessage): Parsed {
  // Before JSON.parse and the republish's JSON.stringify, which recurse: a 5,000-level message is a dead letter, not a stack overflow.
  const shape = jsonShapeProblem(msg.data);
  if (shape) return { msg, deadLetter: `invalid event: ${shape}` };
  let raw: unknown;
  try {
    raw = msg.json();
  } catch (error) {
    return { msg, deadLetter: `not valid JSON: ${(error as Error).message}` };
  }
  const parsed = parseEnvelope(raw);
  if (!parsed.ok) return { msg, deadLetter: `invalid event: ${parsed.reason}` };
  return { msg, event: parsed.event, knownPerson: msg.headers?.get(PERSON_HEADER) || undefined };
}

async function resolveOne(ctx: PlanningContext, planner: IdentityResolver, graph: BatchGraph, item: Extract<Parsed, { event: EventEnvelope }>, out: BatchSink): Promise<void> {
  const { msg, event } = item;
  graph.planning(msg.seq);
  let plan: ResolutionPlan;
  try {
    if (item.knownPerson) {
      // nudge's own events (unsubscribe links, SMS STOP) name the person; follow a merge since then.
      const person = (await livePerson(graph, item.knownPerson))?.value.id ?? item.knownPerson;
      out.event(msg, person, event, { person, internal: true });
      return;
    }
    // The stream's time, not the clock: a replay plans with the same times (survivors by age, records).
    plan = await planner.plan(event, ctx.now?.() ?? Math.floor(msg.info.timestampNanos / 1e6));
  } catch (error) {
    const handling = handlingOf(error);
    if (handling === 'fail-batch') throw error;
    out.deadLetter(msg, handling.deadLetter);
    return;
  }
  if (plan.merges.length) {
    // A redirect is what makes a replay plan the merge as done, so it is written only once the merge's
    // control messages (and, before them, every event already routed to the merged-away person) are
    // stored: they sit behind those events on the partition, and a replay would not send them again.
    for (const merge of plan.merges) out.control(msg, merge);
    const stored = out.stored();
    for (const merge of plan.merges) graph.holdRedirect(merge.from, stored);
  }
  await planner.commit(plan); // into the batch's graph: memory only, written behind at the end of the batch
  out.event(msg, plan.person, event, plan);
  logPlan(ctx.log, plan);
}

function logPlan(log: Logger, plan: ResolutionPlan) {
  for (const merge of plan.merges) log.info({ from: merge.from, into: merge.into, via: `${merge.via.type}:${merge.via.value}`, messageId: merge.messageId }, 'people merged');
  for (const refusal of plan.refusals) log.warn({ person: plan.person, identifier: `${refusal.identifier.type}:${refusal.identifier.value}`, reason: refusal.reason, detail: refusal.detail }, 'identity link refused');
  for (const rejected of plan.rejected) log.warn({ person: plan.person, messageId: plan.messageId, reason: rejected.reason }, 'identifier not usable');
}
