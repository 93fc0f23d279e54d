/**
 * One batch of the raw stream, resolved strictly in order (resolver-loop.ts reads the batches and
 * commits the checkpoint; its header has the crash argument). Per message:
 *   - not JSON, not a valid envelope, no usable identifier, or any other failure a retry cannot fix:
 *     dead-lettered at once (one attempt), nothing acknowledged: the checkpoint covers it;
 *   - nudge's own event about a known person (`Nudge-Person` header): routed to that person, following
 *     merges since;
 *   - otherwise: plan against the graph → for a merge, publish its control messages and wait until
 *     they and everything before them are stored → commit the plan (a lost compare-and-set race plans
 *     again at once, a bounded number of times) → publish the event to its person's partition.
 * Plans and commits are awaited one event at a time because each decision depends on the graph the
 * previous ones left. Publishes are not: they go out in order on the one connection (JetStream stores
 * them in that order) and their PubAcks are awaited together at the end of the batch. Before the first
 * plan, the graph records every event of the batch will read are fetched in parallel into the cache.
 */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { parseEnvelope, type EventEnvelope } from '../events/envelope';
import { PERSON_HEADER } from '../events/subjects';
import { publishDeadLetter } from '../ingest/dead-letter';
import type { Logger } from '../logger';
import type { IdentityResolver, ResolutionPlan } from './identity-resolver';
import { livePerson, type IdentityGraphStore, type MergeRecord } from './identity-store';
import { publishControl, publishToPerson } from './partition-publish';
import { handlingOf, isInfrastructure } from './resolver-failures';

export interface ResolverContext {
  js: JetStreamClient;
  resolver: IdentityResolver;
  /** The store `resolver` plans against (a CachedIdentityStore in the engine). */
  store: IdentityGraphStore;
  partitions: number;
  log: Logger;
  now?: () => number;
  /** Called once the batch holding the event is committed. */
  onResolved?: (resolution: Resolution) => void;
  onDeadLetter?: (reason: string) => void;
}

export type Resolution = ResolutionPlan | { person: string; internal: true };

/** What each raw message of a batch came to, by stream sequence (in stream order). */
export type BatchOutcome = Map<number, { resolved: Resolution } | { deadLetter: string }>;

/** Re-plans of one event after lost compare-and-set races before the batch is given up. */
const MAX_REPLANS = 20;

type Parsed = { msg: JsMsg; event: EventEnvelope; knownPerson: string | undefined } | { msg: JsMsg; deadLetter: string };

/** Resolves and republishes `batch`; resolves once every message it published is stored. */
export async function resolveBatch(ctx: ResolverContext, batch: readonly JsMsg[]): Promise<BatchOutcome> {
  const out = new Republisher(ctx);
  try {
    const parsed = batch.map(parse);
    await ctx.resolver.warm(parsed.flatMap((p) => ('event' in p && !p.knownPerson ? [p.event] : [])));
    for (const item of parsed) {
      if ('deadLetter' in item) out.deadLetter(item.msg, item.deadLetter);
      else await resolveOne(ctx, item, out);
    }
    await out.settle();
    return out.outcome;
  } catch (error) {
    await out.abandon(); // nothing of this batch still in flight when its replay starts
    throw error;
  }
}

function parse(msg: JsMsg): Parsed {
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

async function resolveOne(ctx: ResolverContext, item: Extract<Parsed, { event: EventEnvelope }>, out: Republisher): Promise<void> {
  const { msg, event } = item;
  /** true: plan again; false: dead-lettered; throws: the batch fails. */
  const failed = (error: unknown, attempt: number): boolean => {
    const handling = handlingOf(error, attempt, MAX_REPLANS);
    if (handling === 'plan-again') return true;
    if (handling === 'fail-batch') throw error;
    out.deadLetter(msg, handling.deadLetter);
    return false;
  };
  for (let attempt = 1; ; attempt++) {
    let plan: ResolutionPlan;
    try {
      if (item.knownPerson) {
        // nudge's own events (unsubscribe links, SMS STOP) name the person; follow a merge since then.
        const person = (await livePerson(ctx.store, item.knownPerson))?.value.id ?? item.knownPerson;
        out.event(msg, person, event, { person, internal: true });
        return;
      }
      plan = await ctx.resolver.plan(event, (ctx.now ?? Date.now)());
    } catch (error) {
      if (failed(error, attempt)) continue;
      return;
    }
    if (plan.merges.length) {
      // A committed merge plans as a no-op when replayed, so its control messages would never be sent
      // again: they must be stored before the commit. Waiting for everything published so far also
      // keeps them behind every event already routed to the merged-away person.
      for (const merge of plan.merges) out.control(msg, merge);
      await out.settle();
    }
    try {
      await ctx.resolver.commit(plan);
    } catch (error) {
      if (failed(error, attempt)) continue;
      return;
    }
    out.event(msg, plan.person, event, plan);
    logPlan(ctx.log, plan);
    return;
  }
}

function logPlan(log: Logger, plan: ResolutionPlan) {
  for (const merge of plan.merges) log.info({ from: merge.from, into: merge.into, via: `${merge.via.type}:${merge.via.value}`, messageId: merge.messageId }, 'people merged');
  for (const refusal of plan.refusals) log.warn({ person: plan.person, identifier: `${refusal.identifier.type}:${refusal.identifier.value}`, reason: refusal.reason, detail: refusal.detail }, 'identity link refused');
  for (const rejected of plan.rejected) log.warn({ person: plan.person, messageId: plan.messageId, reason: rejected.reason }, 'identifier not usable');
}

interface InFlight {
  msg: JsMsg;
  kind: 'event' | 'control' | 'dead letter';
  ack: Promise<unknown>;
}

/** Publishes without waiting, in call order, and collects the PubAcks to await together. */
class Republisher {
  readonly outcome: BatchOutcome = new Map();
  private pending: InFlight[] = [];

  constructor(private readonly ctx: ResolverContext) {}

  event(msg: JsMsg, person: string, event: EventEnvelope, resolution: Resolution) {
    this.outcome.set(msg.seq, { resolved: resolution });
    this.track(msg, 'event', publishToPerson(this.ctx.js, this.ctx.partitions, person, event));
  }

  control(msg: JsMsg, merge: MergeRecord) {
    this.track(msg, 'control', publishControl(this.ctx.js, this.ctx.partitions, 'merge', merge.from, merge, `merge/${merge.from}/${merge.into}`));
  }

  deadLetter(msg: JsMsg, reason: string) {
    this.ctx.log.warn({ partition: 'unrouted', seq: msg.seq, reason }, 'event dead-lettered');
    this.outcome.set(msg.seq, { deadLetter: reason });
    // Its message id is the raw subject and sequence: dead-lettering it again in a replay is dropped.
    this.track(msg, 'dead letter', publishDeadLetter(this.ctx.js, { partition: 'unrouted', data: msg.data, reason, sourceSubject: msg.subject, sourceSeq: msg.seq }));
  }

  /**
   * Waits until everything published so far is stored. An event the partition stream refuses for a
   * reason of its own (e.g. too large once the person header is added) is dead-lettered; any other
   * failure fails the batch.
   */
  async settle(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0);
      const results = await Promise.allSettled(batch.map((p) => p.ack));
      let fatal: { error: unknown } | null = null;
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') return;
        const { msg, kind } = batch[i]!;
        if (kind === 'event' && !isInfrastructure(result.reason)) this.deadLetter(msg, `republishing to the partition failed: ${(result.reason as Error)?.message}`);
        else fatal ??= { error: result.reason };
      });
      if (fatal) throw (fatal as { error: unknown }).error;
    }
  }

  /** Waits for whatever is still in flight, ignoring the outcome (the batch is failing anyway). */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.pending.splice(0).map((p) => p.ack));
  }

  private track(msg: JsMsg, kind: InFlight['kind'], ack: Promise<unknown>) {
    ack.catch(() => undefined); // settled by settle() or abandon(); never an unhandled rejection meanwhile
    this.pending.push({ msg, kind, ack });
  }
}
