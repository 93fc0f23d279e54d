/**
 * The resolver stage: consumes the raw stream in order, resolves every event to its person and
 * republishes it to that person's partition with the person id in the `Nudge-Person` header, so the
 * engine keeps its one-partition-per-person invariant. Per event:
 *   1. plan against the identity graph (reads only);
 *   2. for each person the event merges away, publish a `merge` control message to THAT person's
 *      partition — behind every event already routed to them, so their state is handed over only after
 *      it holds all of them (the engine then sends it to the survivor's partition as `absorb`);
 *   3. commit the plan (compare-and-set); a lost race plans again from fresh reads;
 *   4. publish the event to its person's partition; acknowledge the raw message.
 * A crash between any two steps redelivers the raw event: the graph is unchanged before 3 (the plan and
 * the control messages come out the same and are de-duplicated by their message ids) and after 3 the
 * plan is a no-op, so the event is published once (messageId is its Nats-Msg-Id). One resolver consumes
 * the raw stream (the engine that owns partition 0 runs it), which keeps the graph's decisions in event
 * order; compare-and-set keeps the graph consistent even if a second one runs by mistake.
 */
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { parseEnvelope, type EventEnvelope } from '../events/envelope';
import { CONTROL_HEADER, PERSON_HEADER, partitionOf, partitionSubject, RAW_STREAM, RAW_SUBJECT } from '../events/subjects';
import { consumeInOrder, deadLetterer, ensureOrderedConsumer, looksLikeConnectionTrouble, retryInPlace, type RetryPolicy } from '../ingest/ordered-consumer';
import type { Logger } from '../logger';
import { IdentityResolver, UnidentifiableEventError, type ResolutionPlan } from './identity-resolver';
import { IdentityConflictError, livePerson, type IdentityGraphStore, type MergeRecord } from './identity-store';

export const RESOLVER_CONSUMER = 'resolver';

/** The body of a `merge` control message: hand `from`'s state over to `into`. */
export type MergeControl = MergeRecord;

export interface ResolverContext {
  js: JetStreamClient;
  resolver: IdentityResolver;
  store: IdentityGraphStore;
  partitions: number;
  log: Logger;
  now?: () => number;
  onResolved?: (plan: ResolutionPlan | { person: string; internal: true }) => void;
  onDeadLetter?: (reason: string) => void;
}

export const ensureResolverConsumer = (jsm: JetStreamManager) => ensureOrderedConsumer(jsm, RAW_STREAM, RESOLVER_CONSUMER, RAW_SUBJECT);

export async function consumeRawEvents(ctx: ResolverContext, stop: AbortSignal): Promise<void> {
  await consumeInOrder(ctx.js, RAW_STREAM, RESOLVER_CONSUMER, stop, (msg) => handleRaw(ctx, msg, stop));
}

const RESOLVING: RetryPolicy = {
  isInfrastructure: looksLikeConnectionTrouble,
  decide: (error, attempt) => {
    if (error instanceof UnidentifiableEventError) return { deadLetter: error.message };
    if (error instanceof IdentityConflictError && attempt < 50) return 'retry-now'; // the graph moved: plan again now
    return undefined;
  },
  work: 'identity resolution',
};

async function handleRaw(ctx: ResolverContext, msg: JsMsg, stop: AbortSignal): Promise<void> {
  const deadLetter = deadLetterer(ctx.js, msg, 'unrouted', ctx.log, ctx.onDeadLetter);
  let raw: unknown;
  try {
    raw = msg.json();
  } catch (error) {
    return deadLetter(`not valid JSON: ${(error as Error).message}`);
  }
  const parsed = parseEnvelope(raw);
  if (!parsed.ok) return deadLetter(`invalid event: ${parsed.reason}`);
  await retryInPlace(msg, stop, ctx.log, { stage: 'identity resolver' }, deadLetter, RESOLVING, () => route(ctx, parsed.event, msg.headers?.get(PERSON_HEADER) || undefined));
}

async function route(ctx: ResolverContext, event: EventEnvelope, knownPerson: string | undefined): Promise<void> {
  if (knownPerson) {
    // nudge's own events (unsubscribe links, SMS STOP) name the person; follow a merge since then.
    const person = (await livePerson(ctx.store, knownPerson))?.value.id ?? knownPerson;
    await publishToPerson(ctx.js, ctx.partitions, person, event);
    ctx.onResolved?.({ person, internal: true });
    return;
  }
  const plan = await ctx.resolver.plan(event, (ctx.now ?? Date.now)());
  for (const merge of plan.merges) await publishControl(ctx.js, ctx.partitions, 'merge', merge.from, merge, `merge/${merge.from}/${merge.into}`);
  await ctx.resolver.commit(plan);
  await publishToPerson(ctx.js, ctx.partitions, plan.person, event);
  for (const merge of plan.merges) ctx.log.info({ from: merge.from, into: merge.into, via: `${merge.via.type}:${merge.via.value}`, messageId: merge.messageId }, 'people merged');
  for (const refusal of plan.refusals) ctx.log.warn({ person: plan.person, identifier: `${refusal.identifier.type}:${refusal.identifier.value}`, reason: refusal.reason, detail: refusal.detail }, 'identity link refused');
  for (const rejected of plan.rejected) ctx.log.warn({ person: plan.person, messageId: event.messageId, reason: rejected.reason }, 'identifier not usable');
  ctx.onResolved?.(plan);
}

/** An event on its person's partition; `msgID` defaults to the event's messageId (a forward adds the target). */
export async function publishToPerson(js: JetStreamClient, partitions: number, person: string, event: EventEnvelope, msgID = event.messageId): Promise<void> {
  const h = headers();
  h.set(PERSON_HEADER, person);
  await js.publish(partitionSubject(partitionOf(person, partitions)), JSON.stringify(event), { msgID, headers: h });
}

/** A control message (merge, absorb) on `person`'s partition, de-duplicated by `msgID`. */
export async function publishControl(js: JetStreamClient, partitions: number, kind: 'merge' | 'absorb', person: string, body: unknown, msgID: string): Promise<void> {
  const h = headers();
  h.set(PERSON_HEADER, person);
  h.set(CONTROL_HEADER, kind);
  await js.publish(partitionSubject(partitionOf(person, partitions)), JSON.stringify(body), { msgID, headers: h });
}
