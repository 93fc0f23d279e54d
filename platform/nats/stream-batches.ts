/**
 * Reads one subject of a stream in order, from just after a committed position, and hands it to a
 * handler in batches: whatever arrived while the previous batch was being committed, up to `maxBatch`.
 * So a quiet stream is handled message by message with no added delay and a busy one in large batches.
 * An ordered consumer is used (ephemeral, no acks, recreated by the client on any gap), because the
 * position that counts is the caller's checkpoint, not a durable consumer's ack state: after a crash a
 * durable consumer delivers never-delivered messages at once and the unacknowledged ones only after
 * ack_wait, i.e. out of order, which is how events used to be lost.
 */
import { DeliverPolicy, type Consumer, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';

export interface BatchReaderOptions {
  /** Most messages handed to the handler at once. */
  maxBatch: number;
  /** Most messages read ahead while a batch is being handled (the reader pauses beyond it). */
  maxBuffered: number;
}

export interface BatchReader {
  /** Messages read but not yet handed over, and the consumer's own count of messages after them. */
  lag(): Promise<{ buffered: number; pending: number; oldestBufferedMs: number | null }>;
}

/**
 * Calls `handle` with consecutive batches of `subject` starting after stream sequence `afterSeq`,
 * until `stop` aborts or `handle` throws (then the error is rethrown: the caller resumes from its last
 * commit). `onReader` receives a handle for lag reporting once the consumer exists.
 */
export async function readInBatches(
  js: JetStreamClient,
  stream: string,
  subject: string,
  afterSeq: number,
  stop: AbortSignal,
  handle: (batch: JsMsg[]) => Promise<void>,
  options: BatchReaderOptions,
  onReader?: (reader: BatchReader) => void,
): Promise<void> {
  const consumer: Consumer = await js.consumers.get(stream, {
    filter_subjects: [subject],
    ...(afterSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1 } : { deliver_policy: DeliverPolicy.All }),
  });
  // Short pulls with heartbeats every 2 s: after a NATS node dies, missed heartbeats make the client
  // recreate the consumer within seconds instead of waiting out a 30 s pull.
  const messages = await consumer.consume({ max_messages: Math.max(16, Math.min(options.maxBuffered, 1000)), expires: 5000, idle_heartbeat: 2000 });
  const queue: JsMsg[] = [];
  // Held in an object: TypeScript narrows plain `let`s assigned only inside callbacks to `null`.
  const wake: { handler: (() => void) | null; reader: (() => void) | null } = { handler: null, reader: null };
  let ended = false;
  let readError: unknown = null;
  const close = () => void messages.close().catch(() => undefined);
  stop.addEventListener('abort', close, { once: true });

  const reading = (async () => {
    try {
      for await (const msg of messages) {
        queue.push(msg);
        wake.handler?.();
        while (queue.length >= options.maxBuffered && !stop.aborted) await new Promise<void>((resolve) => (wake.reader = resolve));
      }
    } catch (error) {
      readError = error;
    } finally {
      ended = true;
      wake.handler?.();
    }
  })();

  onReader?.({
    async lag() {
      const info = await consumer.info(true).catch(() => null);
      const head = queue[0];
      return { buffered: queue.length, pending: info?.num_pending ?? 0, oldestBufferedMs: head ? Math.floor(head.info.timestampNanos / 1e6) : null };
    },
  });

  try {
    while (!stop.aborted) {
      if (queue.length === 0) {
        if (ended) break;
        await new Promise<void>((resolve) => (wake.handler = resolve));
        wake.handler = null;
        continue;
      }
      const batch = queue.splice(0, options.maxBatch);
      wake.reader?.();
      wake.reader = null;
      await handle(batch);
    }
  } finally {
    stop.removeEventListener('abort', close);
    close();
    wake.reader?.();
    await reading;
  }
  if (readError && !stop.aborted) throw readError;
}
