/**
 * A user's behavior state and the pure function that applies one event to it. Counters hold event
 * timestamps (newest first), pruned to what the counter plan says rules and tags can need, each with the
 * messageId it came from (so merging two people's states counts an event seen through both ids once);
 * sessions hold the current session of each `distinct` tag (sessions.ts); `recent` holds the newest few
 * trigger events (to re-evaluate rules after a merge, merge-states.ts). Traits carry the time each was set.
 * `lastSeq` is the JetStream sequence of the last event applied: a redelivered event (sequence <=
 * lastSeq) is recognised and not applied twice.
 */
import { behaviorEventOf, type BehaviorEvent, type EventEnvelope } from '../events/envelope';
import { countEvent } from './counters';
import { countersFor, matchesFilter, triggerEventName, type CounterPlan } from './counter-plan';
import { keepTriggerEvents, withRecent, type RecentEvent } from './recent-events';
import { recordInSession, sessionIsCurrent, sessionValue, type SessionRecord } from './sessions';
import { applyConsentEvent, applyConsentTrait, type ConsentRecord } from './consent';
import { emptySendHours, recordSendHour, type SendHours } from './send-hours';

// Consent, counters and kept events live in their own files; their names stay importable from here.
export { consentAllows, type ConsentMode, type ConsentRecord } from './consent';
export { counterIdsOf, pruneCounter } from './counters';
export { keepTriggerEvents, MAX_RECENT, mergeRecent, type RecentEvent } from './recent-events';

export interface JourneyMarker {
  workflowId: string;
  ruleVersion: number;
  startedAt: number;
  /** Event names the journey wants as signals (its exit events and wait-for events). */
  listens: string[];
  /**
   * true: the journey tells the partition when it ends (a `journey-ended` control message), which
   * removes this marker. false: a marker from before journeys did (upgraded from v1, state-version.ts);
   * the engine asks Temporal about it once (engine/ingest/legacy-markers.ts).
   */
  endNotice: boolean;
}

export interface EntryRecord {
  lastEnteredAt: number;
  entries: number;
  lastWorkflowId: string;
}

/** Stored states of older versions are upgraded when they are read (state-version.ts). */
export interface UserState {
  v: 3;
  userKey: string;
  lastSeq: number;
  /** The user's clock: the newest event timestamp seen, in ms. Windows end here. */
  clock: number;
  traits: Record<string, unknown>;
  counters: Record<string, number[]>;
  /** messageId of each counter timestamp, index by index with `counters[key]`; '' = unknown (see counterIdsOf). */
  counterIds: Record<string, string[]>;
  /** Newest MAX_RECENT events per trigger event name of the enabled rules, newest first; absent when none. */
  recent?: Record<string, RecentEvent[]>;
  entries: Record<string, EntryRecord>;
  journeys: Record<string, JourneyMarker>;
  /** Signals saved with the state and sent right after it is stored (see EventProcessor). */
  outbox?: { ruleId: string; workflowId: string; event: { messageId: string; event: string; timestamp: string; properties: Record<string, unknown> } }[];
  /** channel -> topic (or "all") -> consent. */
  consent: Record<string, Record<string, ConsentRecord>>;
  /** Trait name -> time (ms) of the identify or group event that set its current value. */
  traitsUpdatedAt: Record<string, number>;
  /** Hours of the day the person engages and is active (send-hours.ts), for `waitUntil` "best". Since v3. */
  sendHours: SendHours;
  /** The identifiers the user's events carried (the state is kept under userId ?? anonymousId). */
  identifiers?: Identifiers;
  /**
   * Set when this person was merged into another (identity stitching): the state is then a tombstone
   * and events that still arrive for it are forwarded to that person.
   */
  mergedInto?: string;
  /** Person ids whose state was merged into this one (a repeated hand-off is recognised). */
  absorbed?: string[];
  /** Current sessions of `distinct` tags, by session key (see sessions.ts); absent when there are none. */
  sessions?: Record<string, SessionRecord>;
  /**
   * Armed absence triggers by rule id (engine/decide/decide-absence.ts); absent when none is armed, as
   * in every state written before absence triggers existed (so no version change: none was armed).
   */
  absence?: Record<string, ArmedAbsence>;
}

/** An armed absence trigger: the occurrence that armed it and when it fires unless re-armed or disarmed. */
export interface ArmedAbsence {
  /**
   * The arming event (the watched event's last occurrence, or the `after` event), as the journey will
   * receive it as its trigger; its messageId names the arming, so a timer of an older one is stale.
   */
  event: { messageId: string; event: string; timestamp: string; properties: Record<string, unknown> };
  /** That event's time (ms). */
  since: number;
  /** since + the trigger's `for` (ms): the timer message carries the same, so a stale one is recognised. */
  due: number;
}

export interface Identifiers {
  userId?: string;
  /** Most recently seen first, at most MAX_ANONYMOUS_IDS (a user on many devices keeps a small state). */
  anonymousIds?: string[];
}

export const MAX_ANONYMOUS_IDS = 10;

export function emptyState(userKey: string): UserState {
  return { v: 3, userKey, lastSeq: 0, clock: 0, traits: {}, counters: {}, counterIds: {}, entries: {}, journeys: {}, consent: {}, traitsUpdatedAt: {}, sendHours: emptySendHours() };
}

/**
 * Applies an event and returns the new state. Pure. identify: traits; group: traits.groupId and the
 * group's traits under traits.group; behavior (track, page, screen — see behaviorEventOf): counters
 * (with the event's messageId), sessions, send hours, and `recent` when an enabled rule triggers on its name.
 */
export function applyEvent(state: UserState, event: EventEnvelope, seq: number, plan: CounterPlan): UserState {
  const at = Date.parse(event.timestamp);
  const clock = Math.max(state.clock, at);
  const next = carryOver(state);
  next.lastSeq = Math.max(state.lastSeq, seq);
  next.clock = clock;
  next.identifiers = withIdentifiers(state.identifiers, event);
  let recent = state.recent ?? {};
  const behavior = behaviorEventOf(event);
  if (event.type === 'identify') {
    const { consent, ...traits } = event.traits;
    next.traits = { ...state.traits, ...traits };
    next.traitsUpdatedAt = setAt(state.traitsUpdatedAt, Object.keys(traits), at);
    if (consent !== undefined) next.consent = applyConsentTrait(state.consent, consent, at);
  } else if (event.type === 'group') {
    next.traits = { ...state.traits, groupId: event.groupId, group: { ...objectOrEmpty(state.traits.group), ...event.traits } };
    next.traitsUpdatedAt = setAt(state.traitsUpdatedAt, ['groupId', 'group'], at);
  } else if (behavior) {
    next.sendHours = recordSendHour(state.sendHours, behavior.name, at);
    if (behavior.name === 'unsubscribed' || behavior.name === 'subscribed') next.consent = applyConsentEvent(state.consent, behavior.name === 'subscribed', behavior.properties, at);
    const name = triggerEventName(plan, behavior.name);
    if (name !== undefined) {
      const kept: RecentEvent = { messageId: event.messageId, event: behavior.name, timestamp: event.timestamp, properties: behavior.properties };
      const list = recent[name] ?? [];
      const merged = withRecent(list, kept);
      if (merged !== list) recent = { ...recent, [name]: merged };
    }
  }
  // Per event this runs for every user event the engine sees, so what does not change is shared with
  // the previous state rather than copied (states are never mutated in place).
  const { counters, counterIds } = countEvent(state, behavior ? countersFor(plan, behavior.name, behavior.properties) : [], event.messageId, at, clock, plan);
  next.counters = counters;
  next.counterIds = counterIds;
  setIfAny(next, 'recent', keepTriggerEvents(recent, plan));
  setIfAny(next, 'sessions', applySessions(state.sessions ?? {}, behavior, at, clock, plan));
  return next;
}

/** The fields carryOver sets first (applyEvent derives most of them anew); every other field is copied after them. */
const DERIVED = new Set(['v', 'userKey', 'lastSeq', 'clock', 'traits', 'counters', 'counterIds', 'entries', 'journeys', 'consent', 'traitsUpdatedAt', 'sendHours', 'identifiers', 'recent', 'sessions']);

/**
 * A copy of the state without its derived fields. The usual fields come first, in one order, so states
 * share a few shapes: a spread of states whose fields were added in many different orders is
 * megamorphic in V8, and deleting the emptied optional fields afterwards made it worse.
 */
function carryOver(state: UserState): UserState {
  const next: UserState = { v: state.v, userKey: state.userKey, lastSeq: state.lastSeq, clock: state.clock, traits: state.traits, counters: state.counters, counterIds: state.counterIds, entries: state.entries, journeys: state.journeys, consent: state.consent, traitsUpdatedAt: state.traitsUpdatedAt, sendHours: state.sendHours };
  for (const key in state) if (Object.hasOwn(state, key) && !DERIVED.has(key)) (next as unknown as Record<string, unknown>)[key] = state[key as keyof UserState];
  return next;
}

/** Optional maps are left out when empty, so states stay as small as before the field existed. */
function setIfAny<K extends 'recent' | 'sessions'>(state: UserState, field: K, value: UserState[K]): void {
  if (value && hasKeys(value)) state[field] = value;
}

function hasKeys(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

function setAt(times: Record<string, number>, names: string[], at: number): Record<string, number> {
  return { ...times, ...Object.fromEntries(names.map((name) => [name, at])) };
}

function withIdentifiers(ids: Identifiers | undefined, event: EventEnvelope): Identifiers {
  const known = ids?.anonymousIds;
  const anonymousIds = !event.anonymousId || (known && isFirstOnly(known, event.anonymousId))
    ? known
    : [event.anonymousId, ...(known ?? []).filter((id) => id !== event.anonymousId)].slice(0, MAX_ANONYMOUS_IDS);
  const userId = event.userId ?? ids?.userId;
  // The same ids as before (most events): keep the object, if it has exactly the fields built below.
  if (ids !== undefined && ids.userId === userId && (anonymousIds?.length ? ids.anonymousIds === anonymousIds : ids.anonymousIds === undefined) && hasFields(ids, userId !== undefined, Boolean(anonymousIds?.length))) return ids;
  return { ...(userId !== undefined ? { userId } : {}), ...(anonymousIds?.length ? { anonymousIds } : {}) };
}

/** Whether `ids` has exactly these fields, userId first (as withIdentifiers builds them). */
function hasFields(ids: Identifiers, userId: boolean, anonymousIds: boolean): boolean {
  let index = 0;
  for (const key in ids) {
    if (!Object.hasOwn(ids, key)) continue;
    const expected = index === 0 && userId ? 'userId' : 'anonymousIds';
    if (key !== expected || (expected === 'anonymousIds' && !anonymousIds)) return false;
    index++;
  }
  return index === (userId ? 1 : 0) + (anonymousIds ? 1 : 0);
}

/** Whether the list starts with `id`, has it once and is within the bound: putting `id` first changes nothing. */
function isFirstOnly(list: string[], id: string): boolean {
  return list[0] === id && list.length <= MAX_ANONYMOUS_IDS && list.indexOf(id, 1) === -1;
}

/** Records a behavior event in the sessions of distinct tags; drops ended sessions and those no tag reads. */
function applySessions(current: Record<string, SessionRecord>, behavior: BehaviorEvent | null, at: number, clock: number, plan: CounterPlan): Record<string, SessionRecord> {
  let sessions = current;
  const specs = behavior ? (plan.sessionsByEvent.get(behavior.name) ?? []) : [];
  for (const spec of specs) {
    const value = behavior && matchesFilter(behavior.properties, spec.where) ? sessionValue(behavior.properties[spec.property]) : undefined;
    if (value === undefined) continue;
    if (sessions === current) sessions = { ...current };
    sessions[spec.key] = recordInSession(sessions[spec.key], spec, value, at);
  }
  return keepCurrentSessions(sessions, clock, plan);
}

/** Sessions that a tag still reads and that have not ended at `clock`, trimmed to the tag's max; `current` itself when all are. */
export function keepCurrentSessions(current: Record<string, SessionRecord>, clock: number, plan: CounterPlan): Record<string, SessionRecord> {
  let sessions = current;
  for (const key of Object.keys(current)) {
    const record = current[key]!;
    const spec = plan.sessionsByKey.get(key);
    const ended = !spec || !sessionIsCurrent(record, spec.gapMs, clock);
    if (!ended && record.values.length <= spec.maxValues) continue;
    if (sessions === current) sessions = { ...current }; // copied only when something changes
    if (ended) delete sessions[key];
    else sessions[key] = { ...record, values: record.values.slice(0, spec.maxValues) };
  }
  return sessions;
}

const objectOrEmpty = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** Events in the window (now - windowMs, now]. Saturates at the counter's maxCount, which is all a rule can tell apart. */
export function countWithin(state: UserState, key: string, windowMs: number, now: number): number {
  const timestamps = state.counters[key];
  if (!timestamps) return 0;
  let count = 0;
  for (const t of timestamps) if (t <= now && t > now - windowMs) count++;
  return count;
}

/** Seconds from the newest occurrence strictly before `before` to `now`; null when there is none. */
export function secondsSinceLast(state: UserState, key: string, before: number, now: number): number | null {
  const previous = (state.counters[key] ?? []).find((t) => t < before);
  return previous === undefined ? null : (now - previous) / 1000;
}
