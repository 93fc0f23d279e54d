/**
 * Segment HTTP Tracking API messages -> nudge event envelopes. Pure: the server hands in the parsed
 * body, the endpoint's type, the write key's source and the arrival time, and gets every envelope of
 * the request or the reasons it is refused (then nothing of it may be published).
 *
 * Per message: the type comes from the endpoint (`/v1/track`) or the message (`/v1/batch`); Segment's
 * delivery fields (`integrations`, `_metadata`, `sentAt`, `writeKey`, …) are dropped; top-level nulls
 * count as absent; a batch's `context` is the default of each message's; `context.source` is the write
 * key's source; the time is corrected for clock skew (clock-skew.ts); a missing `messageId` is made.
 * The rest must be a valid envelope (events/envelope.ts, strict), so an unknown field is refused by name.
 */
import { createHash, randomUUID } from 'node:crypto';
import { EventEnvelope } from '../events/envelope';
import { eventTime } from './clock-skew';

/** Segment's limits: 32 KB per message (and per single-call request), 500 KB per batch request. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;

export const SEGMENT_TYPES = ['track', 'identify', 'alias', 'page', 'screen', 'group'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];
export const isSegmentType = (value: unknown): value is SegmentType => SEGMENT_TYPES.includes(value as SegmentType);

/** Top-level fields Segment defines for delivery, not for the event: accepted and dropped. */
const DELIVERY_FIELDS = new Set(['integrations', '_metadata', 'sentAt', 'receivedAt', 'writeKey', 'version', 'channel']);

export interface Arrival {
  /** The write key's source name (NUDGE_WRITE_KEYS), recorded as context.source. */
  source: string;
  /** When the request was received (ms, server clock). */
  receivedAt: number;
}

export type Collected = { ok: true; events: EventEnvelope[] } | { ok: false; reason: string };

/** Most reasons a refused batch names; the rest are counted. */
const MAX_REASONS = 5;

/** The body of `/v1/<type>`: one message. */
export function collectCall(body: unknown, type: SegmentType, arrival: Arrival): Collected {
  if (!isRecord(body)) return { ok: false, reason: 'the body must be a JSON object (one message)' };
  const result = toEnvelope({ ...body, type }, {}, undefined, arrival, '');
  return 'reason' in result ? { ok: false, reason: result.reason } : { ok: true, events: [result.event] };
}

/** The body of `/v1/batch`: `{ batch: [...], sentAt?, context? }`. Every message is checked before any is returned. */
export function collectBatch(body: unknown, arrival: Arrival): Collected {
  if (!isRecord(body) || !Array.isArray(body.batch)) return { ok: false, reason: 'batch: expected an array of messages' };
  const batchContext = body.context === undefined || body.context === null ? {} : body.context;
  if (!isRecord(batchContext)) return { ok: false, reason: 'context: expected an object' };
  const batchSentAt = timeField(body, 'sentAt', '');
  if (typeof batchSentAt === 'string') return { ok: false, reason: batchSentAt };

  const events: EventEnvelope[] = [];
  const reasons: string[] = [];
  body.batch.forEach((message: unknown, index) => {
    const prefix = `batch[${index}]`;
    const size = Buffer.byteLength(JSON.stringify(message) ?? '');
    const result = !isRecord(message)
      ? { reason: `${prefix}: expected a message object` }
      : size > MAX_MESSAGE_BYTES
        ? { reason: `${prefix}: message is ${size} bytes; the limit is ${MAX_MESSAGE_BYTES} bytes (32 KB) per message` }
        : !isSegmentType(message.type)
          ? { reason: `${prefix}.type: expected one of ${SEGMENT_TYPES.join(', ')}, got ${JSON.stringify(message.type) ?? 'nothing'}` }
          : toEnvelope(message, batchContext, batchSentAt, arrival, `${prefix}.`);
    if ('reason' in result) reasons.push(result.reason);
    else events.push(result.event);
  });
  if (reasons.length === 0) return { ok: true, events };
  const more = reasons.length > MAX_REASONS ? `; and ${reasons.length - MAX_REASONS} more invalid message(s)` : '';
  return { ok: false, reason: reasons.slice(0, MAX_REASONS).join('; ') + more };
}

function toEnvelope(
  message: Record<string, unknown>,
  batchContext: Record<string, unknown>,
  batchSentAt: number | undefined,
  arrival: Arrival,
  prefix: string,
): { event: EventEnvelope } | { reason: string } {
  const times: Record<string, number | undefined> = {};
  for (const field of ['timestamp', 'originalTimestamp', 'sentAt'] as const) {
    const value = timeField(message, field, prefix);
    if (typeof value === 'string') return { reason: value };
    times[field] = value;
  }
  if (message.context !== undefined && message.context !== null && !isRecord(message.context)) return { reason: `${prefix}context: expected an object` };

  const time = eventTime({ timestamp: times.timestamp, originalTimestamp: times.originalTimestamp, sentAt: times.sentAt ?? batchSentAt }, arrival.receivedAt);
  const fields = Object.fromEntries(Object.entries(message).filter(([key, value]) => value !== null && !DELIVERY_FIELDS.has(key)));
  const candidate = {
    ...fields,
    messageId: message.messageId ?? messageIdFor(message, arrival.source, time.originalTimestamp !== undefined),
    timestamp: iso(time.timestamp),
    ...(time.originalTimestamp !== undefined ? { originalTimestamp: iso(time.originalTimestamp) } : {}),
    receivedAt: new Date(arrival.receivedAt).toISOString(),
    context: { ...batchContext, ...(isRecord(message.context) ? message.context : {}), source: arrival.source },
  };
  const parsed = EventEnvelope.safeParse(candidate);
  if (parsed.success) return { event: parsed.data };
  const where = (path: PropertyKey[]) => (path.length ? `${prefix}${path.map(String).join('.')}` : prefix.replace(/\.$/, '') || '(message)');
  return { reason: parsed.error.issues.map((issue) => `${where(issue.path)}: ${issue.message}`).join('; ') };
}

/**
 * A message without a messageId gets one. When it carries its own time, the id is a hash of the
 * message and its source, so the tracker's retry of the same request is a JetStream duplicate; without
 * a time two identical calls are two events, so the id is random (as Segment's `api-<uuid>`).
 */
function messageIdFor(message: Record<string, unknown>, source: string, hasOwnTime: boolean): string {
  if (!hasOwnTime) return `api-${randomUUID()}`;
  const { sentAt: _sentAt, ...identity } = message;
  return `sha256-${createHash('sha256').update(source).update('\n').update(JSON.stringify(identity)).digest('hex').slice(0, 32)}`;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A time field as ms; undefined when absent; the reason when it is not an ISO-8601 date-time. */
function timeField(record: Record<string, unknown>, field: string, prefix: string): number | undefined | string {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' && ISO_DATE_TIME.test(value) ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms : `${prefix}${field}: expected an ISO-8601 date-time, got ${JSON.stringify(value)}`;
}

/** Corrected times leave Date's range only with absurd client clocks; the envelope check then names the field. */
function iso(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
