/**
 * Publishes event envelopes to the raw stream (`nudge.raw`), with messageId as Nats-Msg-Id so JetStream
 * drops duplicates; the identity resolver moves each one on to its person's partition. `publishJsonLines` validates every line first and reports bad lines by
 * number; good lines are still published.
 */
import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { errors, headers } from '@nats-io/transport-node';
import { parseEnvelope, type EventEnvelope } from '../../engine/events/envelope';
import { PERSON_HEADER, RAW_SUBJECT } from '../../engine/events/subjects';
import { jsonShapeProblem } from '../../engine/events/json-shape';

export interface PublishResult {
  published: number;
  duplicates: number;
  problems: { line: number; reason: string }[];
}

/**
 * `person`: for nudge's own events about a person it already knows (an unsubscribe link, an SMS STOP),
 * which name the person id rather than an identifier to resolve.
 */
export async function publishEvent(js: JetStreamClient, event: EventEnvelope, options: { person?: string } = {}): Promise<'published' | 'duplicate'> {
  const h = options.person ? headers() : undefined;
  if (h && options.person) h.set(PERSON_HEADER, options.person);
  const ack = await js.publish(RAW_SUBJECT, JSON.stringify(event), { msgID: event.messageId, ...(h ? { headers: h } : {}) });
  return ack.duplicate ? 'duplicate' : 'published';
}

/**
 * Fills what Segment's libraries fill when a tracker leaves it out: a messageId (a hash of the line,
 * so publishing the same file twice is de-duplicated) and a timestamp (now).
 */
export function completeEnvelope(raw: Record<string, unknown>, line: string, now: Date): Record<string, unknown> {
  return {
    ...raw,
    messageId: raw.messageId ?? `sha256-${createHash('sha256').update(line).digest('hex').slice(0, 32)}`,
    timestamp: raw.timestamp ?? now.toISOString(),
  };
}

export async function publishJsonLines(js: JetStreamClient, lines: AsyncIterable<string> | Iterable<string>, now = () => new Date()): Promise<PublishResult> {
  const result: PublishResult = { published: 0, duplicates: 0, problems: [] };
  let number = 0;
  for await (const line of lines) {
    number++;
    if (!line.trim()) continue;
    // Before JSON.parse and the publish's JSON.stringify: a too-deep line is reported, not a stack overflow.
    const shape = jsonShapeProblem(Buffer.from(line));
    if (shape) {
      result.problems.push({ line: number, reason: shape });
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      result.problems.push({ line: number, reason: `not valid JSON: ${(error as Error).message}` });
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      result.problems.push({ line: number, reason: 'an event must be a JSON object' });
      continue;
    }
    const parsed = parseEnvelope(completeEnvelope(raw as Record<string, unknown>, line, now()));
    if (!parsed.ok) {
      result.problems.push({ line: number, reason: parsed.reason });
      continue;
    }
    try {
      if ((await publishEvent(js, parsed.event)) === 'duplicate') result.duplicates++;
      else result.published++;
    } catch (error) {
      // The line's own fault (larger than the server's max_payload): reported, the file goes on. Any
      // other failure (connection, timeout, permissions) would fail every line after it too: it stops.
      if (!(error instanceof errors.InvalidArgumentError)) throw error;
      result.problems.push({ line: number, reason: `cannot be stored: ${error.message}` });
    }
  }
  return result;
}
