/**
 * The event contract: a Segment-spec envelope (track / identify / alias), so trackers that speak Segment
 * map one to one. `messageId` becomes the JetStream Nats-Msg-Id, so a re-published event is dropped.
 */
import { z } from 'zod';

const Common = {
  messageId: z.string().min(1).max(200).meta({ description: 'Unique id of this message; duplicates are dropped.' }),
  userId: z.string().min(1).max(200).optional().meta({ description: 'Your id for the user (member id).' }),
  anonymousId: z.string().min(1).max(200).optional().meta({ description: 'Device or cookie id, used when userId is absent.' }),
  timestamp: z.iso.datetime({ offset: true }).meta({ description: 'When the event happened (ISO-8601). Sliding windows use this time.' }),
  context: z.record(z.string(), z.unknown()).default({}).meta({ description: 'Segment context (ip, userAgent, source…).' }),
};

export const TrackEvent = z.object({
  type: z.literal('track'),
  event: z.string().min(1).max(200).meta({ description: 'Event name, e.g. "page_viewed".' }),
  properties: z.record(z.string(), z.unknown()).default({}),
  ...Common,
}).strict();

export const IdentifyEvent = z.object({
  type: z.literal('identify'),
  traits: z.record(z.string(), z.unknown()).default({}).meta({ description: 'Profile traits to set (email, phone, timezone, …).' }),
  ...Common,
}).strict();

export const AliasEvent = z.object({
  type: z.literal('alias'),
  previousId: z.string().min(1).max(200).meta({ description: 'The earlier id (usually an anonymousId) that userId replaces.' }),
  ...Common,
}).strict();

const refineIdentity = (event: { userId?: string; anonymousId?: string }) => Boolean(event.userId ?? event.anonymousId);

export const EventEnvelope = z
  .discriminatedUnion('type', [TrackEvent, IdentifyEvent, AliasEvent])
  .refine(refineIdentity, { message: 'an event needs a userId or an anonymousId', path: ['userId'] });

export type EventEnvelope = z.output<typeof EventEnvelope>;
export type TrackEvent = z.output<typeof TrackEvent>;
export type IdentifyEvent = z.output<typeof IdentifyEvent>;

/** The id an event's state is kept under: userId, else anonymousId. */
export function userKeyOf(event: { userId?: string; anonymousId?: string }): string {
  const key = event.userId ?? event.anonymousId;
  if (!key) throw new Error('event has neither userId nor anonymousId');
  return key;
}

/** Validation result with a readable reason naming each bad field. */
export function parseEnvelope(raw: unknown): { ok: true; event: EventEnvelope } | { ok: false; reason: string } {
  const parsed = EventEnvelope.safeParse(raw);
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(event)'}: ${i.message}`).join('; ') };
}
