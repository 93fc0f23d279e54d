/**
 * Consumes one partition in stream order. A message is acknowledged only after its effects are durable.
 * Infrastructure failures (Temporal or NATS unavailable, a state conflict) are retried in place, so the
 * partition's order is kept; an event that keeps failing for any other reason is dead-lettered after
 * a few attempts so it cannot block the users behind it.
 */
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { parseEnvelope, userKeyOf } from '../events/envelope';
import { consumerName, CONTROL_HEADER, EVENTS_STREAM, PERSON_HEADER, partitionOf, partitionSubject } from '../events/subjects';
import type { MergeControl } from '../identity/resolver-consumer';
import type { Logger } from '../logger';
import { StateConflictError } from '../state/state-store';
import { TemporalUnavailableError } from '../trigger/journey-starter';
import { publishDeadLetter } from './dead-letter';
import type { PersonMerger } from './merge-people';
import type { AbsorbControl, EventOutcome, EventProcessor } from './process-event';

const MAX_ATTEMPTS_FOR_UNEXPECTED_ERRORS = 5;

export interface PartitionContext {
  js: JetStreamClient;
  processor: EventProcessor;
  merger: PersonMerger;
  partitions: number;
  log: Logger;
  onOutcome?: (outcome: EventOutcome) => void;
  onDeadLetter?: (reason: string) => void;
}

export async function ensurePartitionConsumer(jsm: JetStreamManager, partition: number): Promise<void> {
  const name = consumerName(partition);
  if (await jsm.consumers.info(EVENTS_STREAM, name).catch(() => null)) return;
  await jsm.consumers.add(EVENTS_STREAM, {
    durable_name: name,
    filter_subject: partitionSubject(partition),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: 30_000_000_000,
    max_ack_pending: 1000,
  });
}

const isInfrastructureError = (error: unknown) =>
  error instanceof TemporalUnavailableError || error instanceof StateConflictError || /timeout|disconnect|connection|no responders/i.test(String((error as Error)?.message));

export async function consumePartition(ctx: PartitionContext, partition: number, stop: AbortSignal): Promise<void> {
  const consumer = await ctx.js.consumers.get(EVENTS_STREAM, consumerName(partition));
  const messages = await consumer.consume({ max_messages: 256 });
  stop.addEventListener('abort', () => void messages.close(), { once: true });
  for await (const msg of messages) {
    if (stop.aborted) {
      msg.nak();
      break;
    }
    await handleMessage(ctx, partition, msg, stop);
  }
}

async function handleMessage(ctx: PartitionContext, partition: number, msg: JsMsg, stop: AbortSignal): Promise<void> {
  const deadLetter = async (reason: string) => {
    ctx.log.warn({ partition, seq: msg.seq, reason }, 'event dead-lettered');
    await publishDeadLetter(ctx.js, { partition, data: msg.data, reason, sourceSubject: msg.subject, sourceSeq: msg.seq });
    ctx.onDeadLetter?.(reason);
    await msg.ackAck();
  };

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

  for (let attempt = 1; ; attempt++) {
    try {
      const outcome = await work();
      ctx.onOutcome?.(outcome);
      await msg.ackAck();
      return;
    } catch (error) {
      if (stop.aborted) {
        msg.nak();
        return;
      }
      const infrastructure = isInfrastructureError(error);
      if (!infrastructure && attempt >= MAX_ATTEMPTS_FOR_UNEXPECTED_ERRORS) {
        return deadLetter(`processing failed ${attempt} times: ${(error as Error).message}`);
      }
      const delay = Math.min(30_000, 200 * 2 ** Math.min(attempt, 8));
      ctx.log.warn({ partition, seq: msg.seq, attempt, err: (error as Error).message }, infrastructure ? 'infrastructure unavailable, retrying event' : 'event failed, retrying');
      msg.working();
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
