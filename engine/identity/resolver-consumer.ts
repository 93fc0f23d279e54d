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
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { parseEnvelope, type EventEnvelope } from '../events/envelope';
import { CONTROL_HEADER, PERSON_HEADER, partitionOf, partitionSubject, RAW_STREAM, RAW_SUBJECT } from '../events/subjects';
import { publishDeadLetter } from '../ingest/dead-letter';
import type { Logger } from '../logger';
import { IdentityResolver, UnidentifiableEventError, type ResolutionPlan } from './identity-resolver';
import { IdentityConflictError, livePerson, type IdentityGraphStore, type MergeRecord } from './identity-store';

export const RESOLVER_CONSUMER = 'resolver';
const MAX_ATTEMPTS_FOR_UNEXPECTED_ERRORS = 5;

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

export async function ensureResolverConsumer(jsm: JetStreamManager): Promise<void> {
  if (await jsm.consumers.info(RAW_STREAM, RESOLVER_CONSUMER).catch(() => null)) return;
  await jsm.consumers.add(RAW_STREAM, {
    durable_name: RESOLVER_CONSUMER,
    filter_subject: RAW_SUBJECT,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: 30_000_000_000,
    max_ack_pending: 1000,
  });
}

export async function consumeRawEvents(ctx: ResolverContext, stop: AbortSignal): Promise<void> {
  const consumer = await ctx.js.consumers.get(RAW_STREAM, RESOLVER_CONSUMER);
  const messages = await consumer.consume({ max_messages: 256 });
  stop.addEventListener('abort', () => void messages.close(), { once: true });
  for await (const msg of messages) {
    if (stop.aborted) {
      msg.nak();
      break;
    }
    await handleRaw(ctx, msg, stop);
  }
}

const isInfrastructureError = (error: unknown) => /timeout|disconnect|connection|no responders/i.test(String((error as Error)?.message));

async function handleRaw(ctx: ResolverContext, msg: JsMsg, stop: AbortSignal): Promise<void> {
  const deadLetter = async (reason: string) => {
    ctx.log.warn({ seq: msg.seq, reason }, 'raw event dead-lettered');
    await publishDeadLetter(ctx.js, { partition: 'unrouted', data: msg.data, reason, sourceSubject: msg.subject, sourceSeq: msg.seq });
    ctx.onDeadLetter?.(reason);
    await msg.ackAck();
  };
  let raw: unknown;
  try {
    raw = msg.json();
  } catch (error) {
    return deadLetter(`not valid JSON: ${(error as Error).message}`);
  }
  const parsed = parseEnvelope(raw);
  if (!parsed.ok) return deadLetter(`invalid event: ${parsed.reason}`);

  for (let attempt = 1; ; attempt++) {
    try {
      await route(ctx, parsed.event, msg.headers?.get(PERSON_HEADER) || undefined);
      await msg.ackAck();
      return;
    } catch (error) {
      if (stop.aborted) {
        msg.nak();
        return;
      }
      if (error instanceof UnidentifiableEventError) return deadLetter(error.message);
      if (error instanceof IdentityConflictError && attempt < 50) continue; // the graph moved: plan again now
      const infrastructure = isInfrastructureError(error);
      if (!infrastructure && attempt >= MAX_ATTEMPTS_FOR_UNEXPECTED_ERRORS) return deadLetter(`identity resolution failed ${attempt} times: ${(error as Error).message}`);
      ctx.log.warn({ seq: msg.seq, attempt, err: (error as Error).message }, 'identity resolution failed, retrying');
      msg.working();
      await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 200 * 2 ** Math.min(attempt, 8))));
    }
  }
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
