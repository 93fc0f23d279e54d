/**
 * Consumes one partition in stream order. A message is acknowledged only after its effects are durable.
 * Infrastructure failures (Temporal or NATS unavailable, a state conflict) are retried in place, so the
 * partition's order is kept; an event that keeps failing for any other reason is dead-lettered after
 * a few attempts so it cannot block the users behind it.
 */
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { parseEnvelope, userKeyOf } from '../events/envelope';
import { consumerName, CONTROL_HEADER, EVENTS_STREAM, PERSON_HEADER, partitionOf, partitionSubject } from '../events/subjects';
import type { MergeControl } from '../identity/resolver-consumer';
import type { Logger } from '../logger';
import { StateConflictError } from '../state/state-store';
import { TemporalUnavailableError } from '../trigger/journey-starter';
import { consumeInOrder, deadLetterer, ensureOrderedConsumer, looksLikeConnectionTrouble, retryInPlace, type RetryPolicy } from './ordered-consumer';
import type { PersonMerger } from './merge-people';
import type { AbsorbControl, EventOutcome, EventProcessor } from './process-event';

export interface PartitionContext {
  js: JetStreamClient;
  processor: EventProcessor;
  merger: PersonMerger;
  partitions: number;
  log: Logger;
  onOutcome?: (outcome: EventOutcome) => void;
  onDeadLetter?: (reason: string) => void;
}

export const ensurePartitionConsumer = (jsm: JetStreamManager, partition: number) => ensureOrderedConsumer(jsm, EVENTS_STREAM, consumerName(partition), partitionSubject(partition));

const isInfrastructureError = (error: unknown) => error instanceof TemporalUnavailableError || error instanceof StateConflictError || looksLikeConnectionTrouble(error);
const PROCESSING: RetryPolicy = { isInfrastructure: isInfrastructureError, work: 'processing' };

export async function consumePartition(ctx: PartitionContext, partition: number, stop: AbortSignal): Promise<void> {
  await consumeInOrder(ctx.js, EVENTS_STREAM, consumerName(partition), stop, (msg) => handleMessage(ctx, partition, msg, stop));
}

async function handleMessage(ctx: PartitionContext, partition: number, msg: JsMsg, stop: AbortSignal): Promise<void> {
  const deadLetter = deadLetterer(ctx.js, msg, partition, ctx.log, ctx.onDeadLetter);

  let raw: unknown;
  try {
    raw = msg.json();
  } catch (error) {
    return deadLetter(`not valid JSON: ${(error as Error).message}`);
  }
  // The resolver names the person in a header; events published straight to a partition (older
  // publishers) belong to their userId ?? anonymousId.
  const control = msg.headers?.get(CONTROL_HEADER) || undefined;
  let person = msg.headers?.get(PERSON_HEADER) || undefined;
  let work: () => Promise<EventOutcome>;
  if (control === 'merge' || control === 'absorb') {
    const body = raw as Partial<AbsorbControl>;
    if (typeof body?.from !== 'string' || typeof body.into !== 'string' || !person || (control === 'absorb' && typeof body.state !== 'object')) {
      return deadLetter(`invalid ${control} control message`);
    }
    work = control === 'merge' ? () => ctx.merger.handOff(body as MergeControl) : () => ctx.merger.absorb(body as AbsorbControl, msg.seq);
  } else if (control) {
    return deadLetter(`unknown control message "${control}"`);
  } else {
    const parsed = parseEnvelope(raw);
    if (!parsed.ok) return deadLetter(`invalid event: ${parsed.reason}`);
    person ??= userKeyOf(parsed.event);
    const of = person;
    work = () => ctx.processor.process(parsed.event, msg.seq, of);
  }
  const owner = partitionOf(person!, ctx.partitions);
  if (owner !== partition) return deadLetter(`published to partition ${partition} but person "${person}" belongs to partition ${owner}`);

  await retryInPlace(msg, stop, ctx.log, { partition }, deadLetter, PROCESSING, async () => {
    ctx.onOutcome?.(await work());
  });
}
