/**
 * The user's events kept in JetStream: the events stream (which has no age limit, so every identify
 * with an email or phone stays there), the dead-letter stream and the raw stream (events as trackers
 * sent them, before identity resolution). Only the partition subjects of the user's ids are read from
 * the events stream — a partition holds every user hashed to it, so the cost is about
 * 1/NUDGE_PARTITIONS of the stream per id — and the whole dead-letter and raw streams.
 *
 * Whose an event is: a routed event (and a merge hand-off between partitions) names its person in the
 * Nudge-Person header; an event without one (raw, dead-lettered, or routed before the identity graph) is
 * the person's when its strongest identifier is theirs — the resolver gives an event to the person of its
 * strongest identifier, so an event of someone else that merely carries one of their weaker identifiers
 * (a refused link) stays with its owner. Without a graph, or for an event that is not a valid envelope:
 * its userId ?? anonymousId is the id.
 */
import type { JsMsg } from '@nats-io/jetstream';
import { parseEnvelope } from '../events/envelope';
import { CONTROL_HEADER, DEAD_LETTER_STREAM, EVENTS_STREAM, PERSON_HEADER, RAW_STREAM, partitionOf, partitionSubject } from '../events/subjects';
import { identifierText, type IdentifierTypes } from '../events/identifier-types';
import { identifiersOf } from '../events/identifiers-of-event';
import type { PrivacyContext } from './privacy-context';

export interface StoredEvent {
  stream: string;
  seq: number;
  /** When the stream stored it. */
  storedAt: string;
  event: unknown;
  /** Dead letters only: why the event was not processed. */
  reason?: string;
  /** A control message of the identity graph (`merge`, `absorb`: a state handed over), not an event. */
  control?: string;
}

export interface EventOwner {
  /** The ids the user's events were routed under: person ids, and userIds/anonymousIds from before the graph. */
  userKeys: string[];
  /** `type:value` of every identifier the graph gives the user; empty without a graph. */
  identifiers: ReadonlySet<string>;
}

/** The user's events in the events stream (their ids' partitions) and the dead-letter stream. */
export async function findUserEvents(ctx: PrivacyContext, owner: EventOwner): Promise<StoredEvent[]> {
  const found: StoredEvent[] = [];
  const events = await ctx.jsm.streams.info(EVENTS_STREAM).catch(() => null);
  if (events) {
    const partitions = Number(events.config.metadata?.['nudge.partitions']) || ctx.partitions;
    for (const subject of new Set(owner.userKeys.map((key) => partitionSubject(partitionOf(key, partitions))))) {
      await scanStream(ctx, EVENTS_STREAM, subject, collector(ctx.types, owner, EVENTS_STREAM, found));
    }
  }
  await scanStream(ctx, DEAD_LETTER_STREAM, null, collector(ctx.types, owner, DEAD_LETTER_STREAM, found));
  return found;
}

/** The user's events as trackers sent them (NUDGE_RAW; absent in installs from before the identity graph). */
export async function findRawEvents(ctx: PrivacyContext, owner: EventOwner): Promise<StoredEvent[]> {
  const found: StoredEvent[] = [];
  await scanStream(ctx, RAW_STREAM, null, collector(ctx.types, owner, RAW_STREAM, found));
  return found;
}

function collector(types: IdentifierTypes, owner: EventOwner, stream: string, found: StoredEvent[]) {
  const keys = new Set(owner.userKeys);
  return (msg: JsMsg) => {
    const event = parseJson(msg.data);
    if (!event) return;
    const person = msg.headers?.get(PERSON_HEADER);
    const strongest = person || owner.identifiers.size === 0 ? undefined : strongestIdentifier(types, event);
    const theirs = person ? keys.has(person) : strongest ? owner.identifiers.has(strongest) : keys.has(identityOf(event) as string);
    if (!theirs) return;
    const reason = msg.headers?.get('Nudge-Reason');
    const control = msg.headers?.get(CONTROL_HEADER);
    const storedAt = new Date(Number(BigInt(msg.info.timestampNanos) / 1_000_000n)).toISOString();
    found.push({ stream, seq: msg.seq, storedAt, event, ...(reason ? { reason } : {}), ...(control ? { control } : {}) });
  };
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

/** The id an event's state was kept under before the identity graph (userId, else anonymousId), without requiring a valid envelope. */
function identityOf(event: Record<string, unknown>): unknown {
  return event.userId ?? event.anonymousId;
}

/** `type:value` of the event's strongest identifier, read as the resolver reads it; undefined for an invalid envelope. */
function strongestIdentifier(types: IdentifierTypes, event: Record<string, unknown>): string | undefined {
  const parsed = parseEnvelope(event);
  const strongest = parsed.ok ? identifiersOf(parsed.event, types).identifiers[0] : undefined;
  return strongest && identifierText(strongest);
}
