/**
 * The user's raw events kept in JetStream: the events stream (which has no age limit, so every
 * identify with an email or phone stays there) and the dead-letter stream. Only the user's partition
 * subject of the events stream is read — a partition holds every user hashed to it, so the cost is
 * about 1/NUDGE_PARTITIONS of the stream — and the whole dead-letter stream.
 */
import type { JsMsg } from '@nats-io/jetstream';
import { DEAD_LETTER_STREAM, EVENTS_STREAM, partitionOf, partitionSubject } from '../events/subjects';
import type { PrivacyContext } from './privacy-context';

export interface StoredEvent {
  stream: string;
  seq: number;
  /** When the stream stored it. */
  storedAt: string;
  event: unknown;
  /** Dead letters only: why the event was not processed. */
  reason?: string;
}

export async function findUserEvents(ctx: PrivacyContext, userKey: string): Promise<StoredEvent[]> {
  const found: StoredEvent[] = [];
  const collect = (stream: string) => (msg: JsMsg) => {
    const event = parseJson(msg.data);
    if (!event || identityOf(event) !== userKey) return;
    const reason = msg.headers?.get('Nudge-Reason');
    found.push({ stream, seq: msg.seq, storedAt: new Date(Number(BigInt(msg.info.timestampNanos) / 1_000_000n)).toISOString(), event, ...(reason ? { reason } : {}) });
  };
  const events = await ctx.jsm.streams.info(EVENTS_STREAM).catch(() => null);
  if (events) {
    const partitions = Number(events.config.metadata?.['nudge.partitions']) || ctx.partitions;
    await scanStream(ctx, EVENTS_STREAM, partitionSubject(partitionOf(userKey, partitions)), collect(EVENTS_STREAM));
  }
  await scanStream(ctx, DEAD_LETTER_STREAM, null, collect(DEAD_LETTER_STREAM));
  return found;
}

/** Deletes the messages and overwrites their storage (JetStream's erase); returns how many were deleted. */
export async function deleteEvents(ctx: PrivacyContext, events: StoredEvent[]): Promise<number> {
  let deleted = 0;
  for (const { stream, seq } of events) {
    const ok = await ctx.jsm.streams.deleteMessage(stream, seq, true).catch((error: unknown) => {
      if (/no message found/i.test((error as Error).message)) return false; // deleted meanwhile
      throw error;
    });
    if (ok) deleted++;
  }
  return deleted;
}

/** Reads every message of the stream (or of one subject of it) with an ordered consumer. */
export async function scanStream(ctx: PrivacyContext, stream: string, subject: string | null, visit: (msg: JsMsg) => void): Promise<void> {
  const info = await ctx.jsm.streams.info(stream, subject ? { subjects_filter: subject } : undefined).catch(() => null);
  const count = !info ? 0 : subject ? (info.state.subjects?.[subject] ?? 0) : info.state.messages;
  if (count === 0) return;
  const consumer = await ctx.js.consumers.get(stream, subject ? { filter_subjects: [subject] } : {});
  try {
    for (;;) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
      let received = 0;
      let done = false;
      for await (const msg of batch) {
        received++;
        visit(msg);
        if (msg.info.pending === 0) {
          done = true;
          break;
        }
      }
      if (done || received === 0) return;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}

function parseJson(data: Uint8Array): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(data));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The id an event's state is kept under (userId, else anonymousId), without requiring a valid envelope. */
function identityOf(event: Record<string, unknown>): unknown {
  return event.userId ?? event.anonymousId;
}
