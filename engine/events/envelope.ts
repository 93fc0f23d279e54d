/**
 * The event contract: a Segment-spec envelope (track / identify / alias / page / screen / group), so
 * trackers that speak Segment map one to one. `messageId` becomes the JetStream Nats-Msg-Id, so a
 * re-published event is dropped.
 *
 * What the engine does with each type (decided in one place, `behaviorEventOf`):
 *   track     counted and matched under its `event` name
 *   page      counted and matched as `page_viewed`, properties plus `name` / `category` (and `path`
 *             from `url` when absent): a rule says `"trigger": { "event": "page_viewed", … }` with
 *             `{ "fact": "event", "path": "$.properties.path", "operator": "equal", "value": "/pricing" }`
 *   screen    counted and matched as `screen_viewed`, properties plus `name` / `category`
 *   identify  merges traits into the profile;  group  sets traits.groupId, merges traits under traits.group
 *   alias     no state change; the identity resolver links previousId and userId as one person
 */
import { z } from 'zod';
import { IdentifierValue } from './identifier-value';

const Common = {
  messageId: IdentifierValue.meta({ description: 'Unique id of this message; duplicates are dropped. An identifier (identifier-value.ts): at most 200 characters, no control characters.' }),
  userId: IdentifierValue.optional().meta({ description: 'Your id for the user (member id).' }),
  anonymousId: IdentifierValue.optional().meta({ description: 'Device or cookie id, used when userId is absent.' }),
  timestamp: z.iso.datetime({ offset: true }).meta({ description: 'When the event happened (ISO-8601). Sliding windows use this time.' }),
  context: z.record(z.string(), z.unknown()).default({}).meta({ description: 'Segment context (ip, userAgent, library…); `source` names the write key\'s source when the event came through `nudge collect`.' }),
  receivedAt: z.iso.datetime({ offset: true }).optional().meta({ description: 'When `nudge collect` received the event (ISO-8601, server clock).' }),
  originalTimestamp: z.iso.datetime({ offset: true }).optional().meta({ description: 'The client\'s own time for the event before `nudge collect` corrected its clock skew.' }),
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
  previousId: IdentifierValue.meta({ description: 'The earlier id (usually an anonymousId) that userId replaces.' }),
  ...Common,
}).strict();

const PageFields = {
  name: z.string().max(500).optional().meta({ description: 'Name of the page or screen, e.g. "Pricing".' }),
  category: z.string().max(500).optional().meta({ description: 'Category of the page or screen, e.g. "Docs".' }),
};

export const PageEvent = z.object({
  type: z.literal('page'),
  ...PageFields,
  properties: z.record(z.string(), z.unknown()).default({})
    .meta({ description: 'Page properties as trackers send them: path, url, title, referrer, search, …' }),
  ...Common,
}).strict();

export const ScreenEvent = z.object({
  type: z.literal('screen'),
  ...PageFields,
  properties: z.record(z.string(), z.unknown()).default({}),
  ...Common,
}).strict();

export const GroupEvent = z.object({
  type: z.literal('group'),
  groupId: IdentifierValue.meta({ description: 'The account, company or organization the user belongs to.' }),
  traits: z.record(z.string(), z.unknown()).default({}).meta({ description: 'Traits of the group (name, plan, employees, …).' }),
  ...Common,
}).strict();

const refineIdentity = (event: { userId?: string; anonymousId?: string }) => Boolean(event.userId ?? event.anonymousId);

export const EventEnvelope = z
  .discriminatedUnion('type', [TrackEvent, IdentifyEvent, AliasEvent, PageEvent, ScreenEvent, GroupEvent])
  .refine(refineIdentity, { message: 'an event needs a userId or an anonymousId', path: ['userId'] });

export type EventEnvelope = z.output<typeof EventEnvelope>;
export type TrackEvent = z.output<typeof TrackEvent>;
export type IdentifyEvent = z.output<typeof IdentifyEvent>;
export type PageEvent = z.output<typeof PageEvent>;
export type ScreenEvent = z.output<typeof ScreenEvent>;
export type GroupEvent = z.output<typeof GroupEvent>;

/** The name page events are counted and matched under. */
export const PAGE_VIEWED = 'page_viewed';
/** The name screen events are counted and matched under. */
export const SCREEN_VIEWED = 'screen_viewed';

/** What counters, rule triggers and journey signals see of an event. */
export interface BehaviorEvent {
  name: string;
  properties: Record<string, unknown>;
}

/**
 * The one place that decides which events are behavior (counted, matched, signalled) and under what
 * name: track under its own name, page as `page_viewed`, screen as `screen_viewed` (their `name` and
 * `category` joined into the properties, a page's `path` taken from its `url` when the tracker left it
 * out); identify, alias and group are not behavior (null).
 */
export function behaviorEventOf(event: EventEnvelope): BehaviorEvent | null {
  switch (event.type) {
    case 'track':
      return { name: event.event, properties: event.properties };
    case 'page': {
      const properties = withPageFields(event);
      if (properties.path === undefined && typeof properties.url === 'string') {
        const path = pathOf(properties.url);
        if (path !== undefined) properties.path = path;
      }
      return { name: PAGE_VIEWED, properties };
    }
    case 'screen':
      return { name: SCREEN_VIEWED, properties: withPageFields(event) };
    default:
      return null;
  }
}

function withPageFields(event: PageEvent | ScreenEvent): Record<string, unknown> {
  return {
    ...event.properties,
    ...(event.name !== undefined ? { name: event.name } : {}),
    ...(event.category !== undefined ? { category: event.category } : {}),
  };
}

function pathOf(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

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
