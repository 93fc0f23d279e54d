/**
 * What the engine's two ordered consumers share (the partition loops and the identity resolver): read
 * a durable consumer one message at a time, store a message that cannot be handled as a dead letter
 * (with the reason) and acknowledge it, and retry a failed message in place — so the order behind it is
 * kept — for as long as infrastructure is unavailable, or a few times for any other error.
 */
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../logger';
import { publishDeadLetter } from './dead-letter';

const MAX_ATTEMPTS_FOR_UNEXPECTED_ERRORS = 5;

/** Creates the durable consumer if it does not exist: explicit acks, from the stream's start. */
export async function ensureOrderedConsumer(jsm: JetStreamManager, stream: string, name: string, filterSubject: string): Promise<void> {
  if (await jsm.consumers.info(stream, name).catch(() => null)) return;
  await jsm.consumers.add(stream, {
    durable_name: name,
    filter_subject: filterSubject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: 30_000_000_000,
    max_ack_pending: 1000,
  });
}

/** Consumes `consumer` of `stream` in order until `stop` aborts; a message left unhandled at the stop is nak'ed. */
export async function consumeInOrder(js: JetStreamClient, stream: string, consumer: string, stop: AbortSignal, handle: (msg: JsMsg) => Promise<void>): Promise<void> {
  const messages = await (await js.consumers.get(stream, consumer)).consume({ max_messages: 256 });
  stop.addEventListener('abort', () => void messages.close(), { once: true });
  for await (const msg of messages) {
    if (stop.aborted) {
      msg.nak();
      break;
    }
    await handle(msg);
  }
}

export type DeadLetterer = (reason: string) => Promise<void>;

/** Stores the message on the dead-letter stream with the reason, then acknowledges it. */
export function deadLetterer(js: JetStreamClient, msg: JsMsg, partition: number | 'unrouted', log: Logger, onDeadLetter?: (reason: string) => void): DeadLetterer {
  return async (reason) => {
    log.warn({ partition, seq: msg.seq, reason }, 'event dead-lettered');
    await publishDeadLetter(js, { partition, data: msg.data, reason, sourceSubject: msg.subject, sourceSeq: msg.seq });
    onDeadLetter?.(reason);
    await msg.ackAck();
  };
}

/** Errors that mean "NATS or Temporal is unavailable right now" whatever raised them. */
export const looksLikeConnectionTrouble = (error: unknown) => /timeout|disconnect|connection|no responders/i.test(String((error as Error)?.message));

export interface RetryPolicy {
  /** Retried for as long as it takes (everything else is dead-lettered after a few attempts). */
  isInfrastructure(error: unknown): boolean;
  /** A decision before the usual one: dead-letter at once with this reason, or retry at once. */
  decide?(error: unknown, attempt: number): { deadLetter: string } | 'retry-now' | undefined;
  /** Names the work in a dead letter's reason, e.g. "processing" → "processing failed 5 times: …". */
  work: string;
}

/** Runs `work` until it succeeds, then acknowledges the message; see RetryPolicy for failures. */
export async function retryInPlace(msg: JsMsg, stop: AbortSignal, log: Logger, logFields: Record<string, unknown>, deadLetter: DeadLetterer, policy: RetryPolicy, work: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      await msg.ackAck();
      return;
    } catch (error) {
      if (stop.aborted) {
        msg.nak();
        return;
      }
      const decided = policy.decide?.(error, attempt);
      if (decided === 'retry-now') continue;
      if (decided) return deadLetter(decided.deadLetter);
      const infrastructure = policy.isInfrastructure(error);
      if (!infrastructure && attempt >= MAX_ATTEMPTS_FOR_UNEXPECTED_ERRORS) return deadLetter(`${policy.work} failed ${attempt} times: ${(error as Error).message}`);
      log.warn({ ...logFields, seq: msg.seq, attempt, err: (error as Error).message }, infrastructure ? 'infrastructure unavailable, retrying event' : 'event failed, retrying');
      msg.working();
      await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 200 * 2 ** Math.min(attempt, 8))));
    }
  }
}
